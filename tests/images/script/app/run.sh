#!/bin/sh
# Prints what a correct launcher must pass in: args, cwd and environment.
echo "$GREETING"
echo "cwd=$(pwd)"
echo "mode=$APP_MODE"
echo "argc=$#"
for arg in "$@"; do
    echo "arg=$arg"
done
