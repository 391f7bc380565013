#!/bin/bash
date -u -d @0 '+%Y-%m-%d %H:%M:%S %Z'
date -u -d '2024-02-28 +2 days' +%F
TZ=UTC date -d '2021-06-01T12:00:00+02:00' '+%F %T %z'
date -u -d @1700000000 -R
start=$(date +%s%N); sleep 0.3; end=$(date +%s%N)
elapsed=$(( (end - start) / 1000000 ))
[ "$elapsed" -ge 300 ] && [ "$elapsed" -lt 10000 ] && echo "sleep 0.3 took 300 ms or more"
year=$(date +%Y); [ "$year" -ge 2024 ] && echo "wall clock is recent"
touch /tmp/now; now=$(date +%s); mtime=$(stat -c %Y /tmp/now)
[ $(( now - mtime )) -le 2 ] && [ $(( mtime - now )) -le 2 ] && echo "file times follow the clock"
t0=$SECONDS; sleep 1; [ $(( SECONDS - t0 )) -ge 1 ] && echo "SECONDS advances"
read -r up _ < /proc/uptime; awk -v u="$up" 'BEGIN { if (u > 0) print "uptime positive" }'
