#!/bin/bash
# Everyday bash without job control: everything here runs in one shell
# plus the forks that pipes, $(...) and subshells need.
greet() { local who=$1; printf 'hello %s\n' "$who"; return 3; }
greet world; echo "greet status: $?"
declare -a list=(alpha beta "gamma delta")
echo "count=${#list[@]} last=${list[-1]} upper=${list[0]^^}"
declare -A map=([one]=1 [two]=2 [three]=3)
for key in $(printf '%s\n' "${!map[@]}" | sort); do echo "$key=${map[$key]}"; done
echo "arith: $(( (7 * 6) % 5 )) $(( 2 ** 10 )) $(( 0x10 ))"
name="file.tar.gz"; echo "strip: ${name%%.*} ${name#*.} ${name/tar/zip} ${#name}"
cat <<DOC
here-doc with $name and $(( 1 + 1 ))
DOC
read -r first second <<< "x y z"; echo "read: $first|$second"
false | true | (exit 4); echo "pipestatus: ${PIPESTATUS[*]}"
( cd /tmp && echo "subshell cwd: $PWD" ); echo "parent cwd: $PWD"
out=$(for i in 1 2 3; do echo "line $i"; done | tail -n 1); echo "last: $out"
[[ "abc123" =~ ^([a-z]+)([0-9]+)$ ]] && echo "regex: ${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
printf '%05.1f|%-4s|%x\n' 3.14159 ab 255
set -o pipefail; false | true; echo "pipefail: $?"
trap 'echo "exit trap ran"' EXIT
exit 5
