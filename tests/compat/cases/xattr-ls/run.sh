#!/bin/sh
ls -l /etc/os-release >/dev/null; echo "ls image file: $?"
: > /tmp/new-file; mkdir /tmp/new-dir
ls -l /tmp >/dev/null; echo "ls tmp entries: $?"
ls -l /tmp/new-file /tmp/new-dir >/dev/null; echo "ls tmp files: $?"
ls -ld /tmp | cut -c1-10
ls -l --time-style=+ /usr/bin/env | awk '{print $1, $3, $4}'
