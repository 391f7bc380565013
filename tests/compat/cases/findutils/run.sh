#!/bin/bash
cd /tmp || exit 1
mkdir -p tree/{src,doc,"with space"}/sub
for d in src doc "with space"; do
  for n in 1 2 3; do printf '%*s' "$((n * 100))" x > "tree/$d/f$n.txt"; done
  : > "tree/$d/sub/empty.c"
done
chmod 700 tree/src/f1.txt
find tree -type f -name '*.txt' | sort
find tree -type d | sort | tr '\n' ' '; echo
find tree -maxdepth 1 -mindepth 1 | sort
find tree -size +150c -size -250c | sort
find tree -perm 700 -type f
find tree -empty | sort
find tree -name '*.c' -exec ls -1 {} + | sort
find tree -type f -print0 | sort -z | xargs -0 -n 3 echo | wc -l
find tree -type f -print0 | xargs -0 -P 2 -n 1 wc -c | awk '{s+=$1} END {print s}'
find tree -path '*with space*' -name 'f2*' -printf '%f %s\n'
find / -xdev -maxdepth 1 -name etc
find /usr/bin -name 'find' -type f
printf 'a b\nc\n' | xargs -I{} echo "[{}]"
