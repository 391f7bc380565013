#!/bin/bash
# Limits are set first: docker's defaults come from the daemon, not the image.
ulimit -S -n 64; echo "nofile soft: $(ulimit -S -n)"
bash -c 'for i in $(seq 3 70); do eval "exec $i</dev/null" 2>/dev/null || { echo "open stopped at fd $i"; break; }; done'
ulimit -S -s 4096; echo "stack: $(ulimit -s)"
ulimit -c 0; echo "core: $(ulimit -c)"
ulimit -S -v 1048576; echo "as: $(ulimit -v)"
(ulimit -f 4; dd if=/dev/zero of=/tmp/big bs=1k count=8 status=none); echo "fsize kill: $?"
(ulimit -f 4; trap '' XFSZ; dd if=/dev/zero of=/tmp/big2 bs=1k count=8 status=none 2>&1 | sed 's/^dd: //'); ls -l /tmp/big2 | awk '{print $5}'
(ulimit -S -n 32; ulimit -S -n 40 2>/dev/null; echo "raise soft to hard ok: $(ulimit -S -n)")
(ulimit -H -n 100; ulimit -S -n 200 2>&1 | sed 's/.*: //'; echo "soft above hard refused")
(ulimit -H -n 100; ulimit -H -n 200 2>/dev/null; echo "raise hard: $?")
