#!/bin/bash
prlimit --nofile=100:200 sh -c 'echo "child nofile: $(ulimit -S -n) $(ulimit -H -n)"'
prlimit --nofile=100:200 sh -c 'prlimit --pid $$ --nofile --noheadings --output=SOFT,HARD'
sleep 5 & pid=$!
prlimit --pid "$pid" --nproc=50:60 && prlimit --pid "$pid" --nproc --noheadings --output=SOFT,HARD
prlimit --pid "$pid" --cpu=10:20 && grep 'Max cpu time' "/proc/$pid/limits" | awk '{print $4, $5}'
kill "$pid"; wait
prlimit --core=0 sh -c 'ulimit -c'
prlimit --stack=8388608 sh -c 'ulimit -s'
