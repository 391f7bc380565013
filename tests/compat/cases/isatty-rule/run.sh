#!/bin/bash
for fd in 0 1 2; do test -t $fd && echo "fd $fd: tty" || echo "fd $fd: not a tty"; done
tty; echo "tty status: $?"
python3 -c 'import os, sys; print([os.isatty(fd) for fd in (0, 1, 2)], sys.stdout.line_buffering)'
ls --color=auto / | head -1 | od -c | head -1
read -r -t 1 line; echo "stdin read: $? ${line:-<empty>}"
cat; echo "cat of stdin: $?"
stty size 2>/dev/null; echo "stty: $?"
