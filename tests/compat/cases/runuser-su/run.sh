#!/bin/bash
runuser -u app -- id
runuser -u app -- sh -c 'echo "HOME=$HOME USER=$USER"'
runuser -l app -c 'echo "login: $HOME $SHELL $(pwd)"'
su -s /bin/sh -c 'id -un; echo "su HOME=$HOME"' app
su - app -c 'echo "su -: $(pwd) $LOGNAME"'
runuser -u nobody -- sh -c 'exit 3'; echo "status: $?"
