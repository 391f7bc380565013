#!/bin/bash
# A shell that starts background work and waits for it: the shape of most
# container entrypoint scripts.
(sleep 0.2; exit 7) &
first=$!
(sleep 0.1; exit 3) &
wait "$first"; echo "wait first: $?"
wait; echo "wait all: $?"
sleep 5 &
victim=$!
kill "$victim"; wait "$victim"; echo "killed job: $?"
(sleep 0.3; exit 1) & (sleep 0.1; exit 2) &
wait -n; echo "wait -n: $?"
wait
for i in 1 2 3; do (sleep "0.$i"; echo "job $i done") & done
wait
echo "jobs left: $(jobs -p | wc -l)"
