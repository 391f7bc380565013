#!/bin/bash
trap 'echo "trap USR1"' USR1
trap 'echo "trap HUP"' HUP
kill -USR1 $$; kill -HUP $$
sleep 10 & pid=$!; kill -TERM "$pid"; wait "$pid"; echo "TERM: $?"
sleep 10 & pid=$!; kill -KILL "$pid"; wait "$pid"; echo "KILL: $?"
# Without job control, background commands ignore SIGINT (POSIX). The
# child says when it runs (after the shell set that up), so the signal
# never comes too early however slow the machine is.
rm -f /tmp/bg-ready
bash -c ': > /tmp/bg-ready; exec sleep 10' & pid=$!
until [ -e /tmp/bg-ready ]; do sleep 0.1; done
kill -INT "$pid"; sleep 0.2
kill -0 "$pid" && echo "background job ignores INT"; kill "$pid"; wait "$pid"; echo "INT then TERM: $?"
bash -c 'kill -SEGV $$'; echo "SEGV self: $?"
bash -c 'trap "echo child got TERM; exit 42" TERM; kill -TERM $$; sleep 1'; echo "child trap: $?"
yes | head -n 3; echo "pipe: ${PIPESTATUS[*]}"
trap - USR1
bash -c 'trap "" INT; kill -INT $$; echo "ignored INT"'; echo "ignored: $?"
( trap 'echo "sub EXIT"' EXIT; exit 6 ); echo "sub: $?"
kill -l 15; kill -l TERM
