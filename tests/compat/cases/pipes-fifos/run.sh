#!/bin/bash
cd /tmp || exit 1
mkfifo fifo && stat -c '%F' fifo
( echo "through the fifo" > fifo ) & cat fifo; wait
yes compat | head -n 100000 | sort | uniq -c
head -c 1048576 /dev/zero | wc -c
head -c 4096 /dev/urandom | wc -c
echo x > /dev/null && echo "null ok"
echo x > /dev/full 2>/dev/null; echo "full: $?"
diff <(seq 3) <(seq 3) && echo "process substitution ok"
wc -l < <(seq 7)
echo "to fd" > /dev/fd/1
seq 3 | cat /dev/stdin | tail -1
echo data | tee /tmp/tee1 /tmp/tee2 >/dev/null; cat /tmp/tee1 /tmp/tee2
cat <<< "here string"
exec 3> /tmp/fd3; echo "via fd 3" >&3; exec 3>&-; cat /tmp/fd3
dd if=/dev/urandom bs=64k count=16 status=none | gzip -1 | gunzip | wc -c
