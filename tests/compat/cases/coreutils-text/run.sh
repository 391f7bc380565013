#!/bin/bash
cd /tmp || exit 1
yes | head -c 100000 > random-source
seq 1 20 | shuf --random-source=random-source > nums
sort -n nums | head -3 | tr '\n' ' '; echo
sort -rn nums | head -3 | tr '\n' ' '; echo
printf 'b 2\na 1\nc 3\na 1\n' | sort -u -k1,1
printf 'x\nx\ny\nx\n' | uniq -c
echo 'a:b:c:d' | cut -d: -f2,4
echo 'Hello World' | tr 'a-z' 'A-Z' | tr -s 'L'
seq 3 > l1; seq 4 6 > l2; paste -d, l1 l2
printf '1 a\n2 b\n3 c\n' > j1; printf '1 x\n3 z\n' > j2; join j1 j2
printf 'a\nb\nc\n' > c1; printf 'b\nc\nd\n' > c2; comm -3 c1 c2
factor 360 97 1001
seq -s+ 1 100 | bc 2>/dev/null || seq 1 100 | paste -sd+ | awk '{print "no bc"}'
printf 'abc' | md5sum; printf 'abc' | sha1sum; printf 'abc' | sha256sum; printf 'abc' | sha512sum | cut -c1-32
printf 'abc' | b2sum | cut -c1-32
printf 'hello world' | base64; printf 'aGVsbG8=' | base64 -d; echo
printf 'AB\n' | od -An -tx1
seq 10 | tac | head -2; seq 5 | nl -ba | tail -1
echo 'a long line that should fold' | fold -w 10
printf 'a\tb\n' | expand -t 4 | od -c | head -1
# Enough lines that sort spills to temp files and uses its worker threads.
seq 200000 | awk '{print ($1 * 7919) % 200003}' > big
sort -n -S 1M --parallel=2 -T /tmp big | sha256sum
sort -n big | tail -1
wc -l big; wc -w -c < big
