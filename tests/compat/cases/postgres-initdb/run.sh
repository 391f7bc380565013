#!/bin/bash
# initdb writes a fresh cluster under /var/lib/postgresql (the image's
# root), then a single-user backend starts on it and answers (it needs
# no socket). Nothing printed depends on the time or the machine, except
# what initdb sizes from memory: --memory 1G gives docker's defaults.
set -e
bin=/usr/lib/postgresql/15/bin
data=/var/lib/postgresql/data
"$bin/initdb" -D "$data" --no-sync -A trust -U postgres | grep '^selecting default'
echo "initdb: ok"
cat "$data/PG_VERSION"
ls "$data" | sort | tr '\n' ' '; echo
stat -c '%a %U' "$data"
status=0
printf '%s\n' 'create table t (k int primary key, v text);' \
    "insert into t values (1, 'one'), (2, 'two');" 'select count(*), max(v) from t;' \
  | "$bin/postgres" --single -D "$data" -c fsync=off postgres >/tmp/single.out 2>/tmp/single.err || status=$?
grep -v '^PostgreSQL stand-alone backend' /tmp/single.out
echo "single-user: exit $status"
