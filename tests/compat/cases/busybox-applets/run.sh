bb=/bin/busybox
cd /tmp || exit 1
$bb seq 5 | $bb awk '{s += $1} END {print "sum", s}'
echo "a-b-c" | $bb sed 's/-/+/g'
printf '3\n1\n2\n' | $bb sort -n | $bb tr '\n' ' '; echo
$bb mkdir -p bb/x && echo hi > bb/x/f && $bb find bb -type f
$bb tar -cf bb.tar bb && $bb gzip -f bb.tar && $bb tar -tzf bb.tar.gz | $bb sort
$bb wc -c < /etc/os-release | $bb awk '{print ($1 > 0 ? "wc ok" : "wc bad")}'
$bb cp bb/x/f bb/x/g && $bb ls bb/x | $bb xargs echo
$bb expr 6 \* 7
$bb basename /a/b/c.txt .txt; $bb dirname /a/b/c.txt
v=$($bb sh -c 'echo nested; exit 3'); echo "$v $?"
$bb test -e /nope || echo "test works"
