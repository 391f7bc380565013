#!/bin/bash
id
setpriv --reuid=nobody --regid=nogroup --init-groups id
setpriv --reuid=1000 --regid=1000 --clear-groups sh -c 'id; echo "can write /tmp: $(touch /tmp/x && echo yes)"; cat /etc/shadow >/dev/null 2>&1; echo "shadow: $?"'
setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c 'id -u; kill -0 1 2>/dev/null; echo "signal root: $?"'
setpriv --reuid=1000 --regid=1000 --clear-groups setpriv --reuid=0 id 2>/dev/null; echo "regain root: $?"
setpriv --reuid=1000 --regid=1000 --clear-groups grep -E '^(Uid|Gid|Groups):' /proc/self/status
