#!/bin/bash
# A new session and group with setsid, then the whole group is signalled.
# No step depends on timing: the leader names itself after forking both
# members, and the counts after the kill wait until the group is gone.
setsid sh -c 'sleep 30 & sleep 30 & echo $$ > /tmp/leader; wait' &
starter=$!
for _ in $(seq 300); do [ -s /tmp/leader ] && break; sleep 0.1; done
leader=$(cat /tmp/leader)
sid=$(ps -o sid= -p "$leader" | tr -d ' ')
pgid=$(ps -o pgid= -p "$leader" | tr -d ' ')
[ "$sid" = "$leader" ] && echo "setsid: leader owns its session"
[ "$pgid" = "$leader" ] && echo "setsid: leader owns its group"
echo "members: $(ps -o pgid= -e | tr -d ' ' | grep -cx "$leader")"
kill -TERM -- "-$leader"
wait "$starter"; echo "starter: $?"
for _ in $(seq 100); do [ "$(ps -o pgid= -e | tr -d ' ' | grep -cx "$leader")" = 0 ] && break; sleep 0.1; done
echo "members after kill: $(ps -o pgid= -e | tr -d ' ' | grep -cx "$leader")"
# job control in a script: each job gets its own group
set -m
sleep 30 &
job=$!
jpgid=$(ps -o pgid= -p "$job" | tr -d ' ')
[ "$jpgid" = "$job" ] && echo "set -m: job leads its own group"
[ "$(ps -o pgid= -p $$ | tr -d ' ')" != "$job" ] && echo "set -m: shell stays in its group"
kill "$job"; wait "$job"; echo "job: $?"
