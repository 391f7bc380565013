#!/bin/bash
cd /tmp || exit 1
mkdir -p in/d
seq 1000 > in/d/numbers; echo hi > in/d/hi
touch -d '2020-01-01 00:00:00 UTC' in/d/numbers in/d/hi in/d in
TZ=UTC zip -X -q -r a.zip in && echo "zip ok"
TZ=UTC unzip -l a.zip | awk 'NR > 3 && $4 != "" {print $1, $4}' | sort
unzip -tq a.zip
mkdir out && cd out && unzip -q ../a.zip && diff -r ../in in && echo "unzip same" && cd ..
(cd in && find . | sort | cpio -o -H newc --quiet) > a.cpio
cpio -it --quiet < a.cpio | sort
mkdir cp-out && (cd cp-out && cpio -idm --quiet < ../a.cpio) && diff -r in cp-out && echo "cpio same"
