#!/usr/bin/env bash
# Start a docker daemon for cvmify's tests if none is reachable.
#
# vfs storage works on any filesystem (no overlay or devicemapper needed);
# no iptables and no bridge because builds and tests use host networking.
# The daemon's log and pid file live in the state dir ($CVMIFY_STATE_DIR,
# default ~/.local/state/cvmify). Waits at most $DOCKERD_WAIT seconds.
set -euo pipefail

STATE_DIR="${CVMIFY_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/cvmify}"
WAIT_SECONDS="${DOCKERD_WAIT:-60}"
LOG="$STATE_DIR/dockerd.log"

say() { echo "dockerd.sh: $*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo -n "$@"
    else say "need root (or sudo) to run: $*"; return 1
    fi
}

if docker info >/dev/null 2>&1; then
    exit 0
fi
if ! command -v dockerd >/dev/null; then
    say "dockerd is not installed (scripts/setup.sh installs docker.io)"
    exit 1
fi

mkdir -p "$STATE_DIR"
say "starting dockerd (log: $LOG)"
# setsid: the daemon must outlive this script and its terminal.
as_root setsid dockerd --storage-driver=vfs --iptables=false --bridge=none \
    --pidfile "$STATE_DIR/dockerd.pid" </dev/null >>"$LOG" 2>&1 &

for _ in $(seq "$WAIT_SECONDS"); do
    if docker info >/dev/null 2>&1; then
        say "docker is up"
        exit 0
    fi
    sleep 1
done
say "docker did not come up within ${WAIT_SECONDS}s; last log lines:"
tail -n 20 "$LOG" >&2 || true
exit 1
