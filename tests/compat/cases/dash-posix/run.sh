#!/bin/sh
set -e
verbose=0; count=1
while getopts vn: opt; do
  case $opt in
    v) verbose=1 ;;
    n) count=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
echo "verbose=$verbose count=$count rest=$*"
i=0
while [ "$i" -lt "$count" ]; do i=$((i + 1)); printf 'tick %d\n' "$i"; done
classify() {
  case "$1" in
    [0-9]*) echo "$1: number" ;;
    *.txt) echo "$1: text" ;;
    *) echo "$1: other" ;;
  esac
}
for word in 42 notes.txt zebra; do classify "$word"; done
trap 'echo "caught USR1"' USR1
kill -USR1 $$
echo "after signal"
x=$(echo "nested $(echo deep)"); echo "$x"
IFS=:; set -- a:b:c; echo "fields: $# $2"; unset IFS
if command -v definitely-not-a-command >/dev/null; then echo found; else echo "not found"; fi
(exit 9) || echo "status kept: $?"
set +e
sh -c 'exit 4'; echo "child status: $?"
