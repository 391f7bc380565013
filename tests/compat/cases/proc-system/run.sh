#!/bin/bash
# Only the shape is compared: the numbers belong to the machine.
for key in MemTotal MemFree MemAvailable Buffers Cached SwapTotal; do
  grep -q "^$key: *[0-9]* kB$" /proc/meminfo && echo "meminfo $key" || echo "meminfo $key MISSING"
done
grep -q '^processor' /proc/cpuinfo && echo "cpuinfo processor"
grep -q '^flags' /proc/cpuinfo && echo "cpuinfo flags"
[ "$(grep -c '^processor' /proc/cpuinfo)" = "$(nproc)" ] && echo "nproc matches cpuinfo"
head -1 /proc/stat | awk '{ print $1, (NF >= 8 ? "fields ok" : "few fields") }'
grep -E -o '^(btime|processes|procs_running)' /proc/stat | sort
awk '{ print (NF == 2 && $1 > 0 ? "uptime ok" : "uptime bad") }' /proc/uptime
awk '{ print (NF == 5 && $4 ~ /^[0-9]+\/[0-9]+$/ ? "loadavg ok" : "loadavg bad") }' /proc/loadavg
awk '$2 == "/" { print "mounts has /"; exit }' /proc/mounts
awk '$2 == "/proc" { print "mounts has /proc", $3; exit }' /proc/self/mounts
cmp -s /proc/mounts /proc/self/mounts && echo "mounts same"
grep -q '^0::/' /proc/self/cgroup && echo "cgroup v2 line"
head -1 /proc/self/limits | awk '{print $1, $2, $3}'
grep -E '^Max open files' /proc/self/limits | awk '{print "limits nofile row"}'
cat /proc/sys/kernel/ostype
[ -r /proc/sys/kernel/pid_max ] && echo "pid_max readable"
[ "$(cat /proc/sys/kernel/random/uuid | tr -dc '-' | wc -c)" = 4 ] && echo "uuid ok"
[ "$(cat /proc/sys/kernel/osrelease)" = "$(uname -r)" ] && echo "osrelease matches uname"
cat /proc/sys/vm/overcommit_memory >/dev/null && echo "overcommit readable"
