#!/bin/bash
db=/tmp/compat.sqlite
sqlite3 "$db" 'create table t (k text primary key, v integer);' && echo "create: ok"
sqlite3 "$db" "insert into t values ('a', 1), ('b', 2); select count(*), sum(v) from t;"
sqlite3 "$db" 'pragma journal_mode=wal;' "insert into t values ('c', 3);" 'select group_concat(k) from t;'
sqlite3 "$db" 'pragma integrity_check;'
sqlite3 "$db" '.tables'
