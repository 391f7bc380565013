#!/bin/bash
sleep 30 & victim=$!
# Deterministic process list: the child has exec'd sleep (before, it is a
# bash), and ps runs alone (pipeline members not yet exec'd are bashes).
until [ "$(cat /proc/$victim/comm)" = sleep ]; do :; done
ps -o pid=,comm= -p $$ | awk '{print "ps self:", $2}'
ps -eo comm= > /tmp/ps-list
sort /tmp/ps-list | uniq -c | awk '{print $2, $1}' | grep -E '^(bash|sleep|ps) '
ps -o ppid= -p "$victim" | grep -qx " *$$" && echo "ps ppid ok"
[ "$(pgrep -x sleep)" = "$victim" ] && echo "pgrep finds sleep"
pidof sleep >/dev/null && echo "pidof finds sleep"
pkill -TERM -x sleep; wait "$victim"; echo "pkill: $?"
free -b | awk 'NR == 2 { print $1, ($2 > 0 ? "total>0" : "total=0") }'
uptime >/dev/null && echo "uptime ok"
vmstat 1 1 | wc -l
sleep 30 & killall sleep && wait; echo "killall: $?"
ps -o stat= -p $$ | cut -c1
