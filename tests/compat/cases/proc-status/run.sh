#!/bin/bash
umask 027
grep -E '^(Name|Umask|State|Uid|Gid|Groups|Threads):' /proc/self/status
[ "$(awk '/^Pid:/ {print $2}' /proc/self/status)" -gt 0 ] && echo "Pid present"
[ "$(awk '/^PPid:/ {print $2}' /proc/self/status)" = "$$" ] && echo "PPid is the shell"
awk '/^VmRSS:/ { if ($2 > 0 && $3 == "kB") print "VmRSS in kB" }' /proc/self/status
awk '/^SigCgt:/ { print "SigCgt", length($2) }' /proc/self/status
echo "pid1 comm: $(cat /proc/1/comm)"
tr '\0' ' ' < /proc/self/cmdline; echo
tr '\0' '\n' < /proc/$$/cmdline | head -2
# cat reads its own environ (a redirect would open the forked shell's, empty after exec on Linux)
cat /proc/self/environ | tr '\0' '\n' | grep -c '^PATH='
readlink /proc/self/exe; readlink /proc/$$/exe
cd /usr/share && readlink /proc/self/cwd
exec 7</etc/passwd; readlink /proc/$$/fd/7; exec 7<&-
ls /proc/self/fd | sort -n | head -3 | tr '\n' ' '; echo
read -r pid comm state ppid rest < /proc/self/stat; echo "stat: $comm $state $([ "$ppid" = $$ ] && echo ppid-ok)"
sleep 1 & child=$!
# once the child has exec'd (before, it is still a bash), whichever is quicker
until [ "$(cat /proc/$child/comm)" = sleep ]; do :; done
grep -E '^Name:' /proc/$child/status
awk '/^State:/ { print "child State", ($2 == "R" || $2 == "S") ? "R or S" : $2 }' /proc/$child/status
[ "$(awk '{print $4}' /proc/$child/stat)" = "$$" ] && echo "child's parent is the shell"
wait
test -d /proc/$child && echo "reaped child still in /proc" || echo "reaped child gone from /proc"
