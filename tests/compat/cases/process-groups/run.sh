#!/bin/bash
# A new session and group with setsid, then the whole group is signalled.
setsid sh -c 'echo $$ > /tmp/leader; sleep 30 & sleep 30 & wait' &
starter=$!
for _ in $(seq 50); do [ -s /tmp/leader ] && break; sleep 0.1; done
leader=$(cat /tmp/leader)
sid=$(ps -o sid= -p "$leader" | tr -d ' ')
pgid=$(ps -o pgid= -p "$leader" | tr -d ' ')
[ "$sid" = "$leader" ] && echo "setsid: leader owns its session"
[ "$pgid" = "$leader" ] && echo "setsid: leader owns its group"
echo "members: $(ps -o pgid= -e | tr -d ' ' | grep -cx "$leader")"
kill -TERM -- "-$leader"
wait "$starter"; echo "starter: $?"
sleep 0.2
echo "members after kill: $(ps -o pgid= -e | tr -d ' ' | grep -cx "$leader")"
# job control in a script: each job gets its own group
set -m
sleep 0.2 &
job=$!
jpgid=$(ps -o pgid= -p "$job" | tr -d ' ')
[ "$jpgid" = "$job" ] && echo "set -m: job leads its own group"
[ "$(ps -o pgid= -p $$ | tr -d ' ')" != "$job" ] && echo "set -m: shell stays in its group"
wait "$job"; echo "job: $?"
