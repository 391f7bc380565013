#!/bin/sh
# timeout runs the command in the background of its own process group,
# waits with sigsuspend for SIGCHLD or its SIGALRM timer, then signals
# the group.
timeout 10 sh -c 'exit 3'; echo "finished: $?"
timeout 0.3 sleep 10; echo "stopped: $?"
timeout -s KILL 0.3 sleep 10; echo "killed: $?"
timeout --preserve-status 0.3 sleep 10; echo "preserved: $?"
timeout -k 0.2 0.2 sh -c 'trap "" TERM; sleep 10'; echo "kill after: $?"
