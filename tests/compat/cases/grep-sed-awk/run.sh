#!/bin/bash
cd /tmp || exit 1
cat > data.txt <<'DATA'
alice 31 engineer
bob 25 designer
carol 47 engineer
dave 19 intern
DATA
grep -c engineer data.txt
grep -E '^(a|c)' data.txt
grep -oP '\d{2}(?= e)' data.txt
grep -n -v engineer data.txt
mkdir -p g/sub; echo needle > g/sub/x; echo hay > g/y
grep -rl needle g
grep -q nothing data.txt; echo "no match: $?"
grep nothing /no/such/file; echo "missing file: $?"
sed -n '2,3p' data.txt
sed -E 's/([a-z]+) ([0-9]+)/\2:\1/' data.txt
cp data.txt edit.txt; sed -i 's/engineer/ENG/g; /intern/d' edit.txt; cat edit.txt
sed -n '1!G;h;$p' data.txt
awk '{ sum += $2; n[$3]++ } END { printf "avg=%.2f\n", sum / NR; for (k in n) print k, n[k] | "sort" }' data.txt
awk -F' ' 'length($1) > 3 { print toupper($1) }' data.txt
awk 'BEGIN { srand(1); x = int(rand() * 0); printf "%d %s %e\n", 2^31, substr("abcdef", 2, 3), 12345.678 }'
