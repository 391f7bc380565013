#!/bin/bash
echo "sysname=$(uname -s) machine=$(uname -m) os=$(uname -o)"
echo "release=$(uname -r)"
echo "version=$(uname -v)"
arch
getconf PAGESIZE; getconf LONG_BIT; getconf ARG_MAX >/dev/null && echo "ARG_MAX ok"
[ "$(nproc)" -ge 1 ] && echo "nproc ok"
[ -n "$(hostname)" ] && echo "hostname set"
. /etc/os-release; echo "$ID $VERSION_ID"
ldd /bin/ls | awk '{print $1}' | sort | head -3
getent passwd root | cut -d: -f1,6
getent group nogroup | cut -d: -f1,3
locale 2>/dev/null | head -1
