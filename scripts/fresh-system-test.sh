#!/usr/bin/env bash
# Fresh-system test: the README's two commands, `scripts/demo.sh` and
# `.ci/run`, in a clean Debian 12 (bookworm) minbase chroot, as a new user
# would run them on a new machine (no python3, no docker CLI, nothing).
#
#   scripts/fresh-system-test.sh [--demo-only] [--keep] [WORKDIR]
#
# Needs root, debootstrap and a docker daemon on this machine: the chroot
# gets /proc, /sys and /dev, and this machine's docker socket (docker has
# no daemon-in-chroot story; the chroot installs the CLI and talks to
# ours). The checkout is copied in as it is on disk (tracked and untracked
# files git does not ignore; no .venv, no kernel/build). Only this
# machine's local CA certificates are added to the chroot (see below). WORKDIR defaults
# to /var/tmp/cvmify-fresh and is deleted first (and at the end, unless
# --keep). The Debian mirror comes from this machine's apt sources or
# $CVMIFY_DEBIAN_MIRROR, as for the debian test image.
#
# .ci/run skips this script (it would run the whole suite twice); run it
# by hand before a release: docs/install.md, "Fresh-system test".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO_ONLY=0
KEEP=0
WORK=/var/tmp/cvmify-fresh
for arg in "$@"; do
    case "$arg" in
        --demo-only) DEMO_ONLY=1 ;;
        --keep) KEEP=1 ;;
        -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) WORK="$arg" ;;
    esac
done
CHROOT="$WORK/root"
SOCKET=/var/run/docker.sock

say() { echo "fresh-system-test: $*"; }
die() { echo "fresh-system-test: error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root"
command -v debootstrap >/dev/null || die "needs debootstrap (apt-get install debootstrap)"
[ -S "$SOCKET" ] || die "needs a docker daemon on $SOCKET (scripts/dockerd.sh)"

unmount_all() {
    # deepest first; never delete through a live mount
    if [ -d "$CHROOT" ]; then
        { grep -o " $CHROOT[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r point; do
            umount -l "$point" || true
        done
    fi
}

cleanup() {
    unmount_all
    if [ "$KEEP" -eq 0 ] && ! grep -q " $CHROOT" /proc/self/mounts; then
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

unmount_all
grep -q " $CHROOT" /proc/self/mounts && die "$CHROOT is still mounted"
rm -rf "$WORK"
mkdir -p "$CHROOT"

MIRROR="$(cd "$ROOT" && python3 -c 'from tests.images.mirror import debian_mirror; print(debian_mirror("bookworm"))')"
say "debootstrap --variant=minbase bookworm from $MIRROR"
debootstrap --variant=minbase bookworm "$CHROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || die "debootstrap failed (see $WORK/debootstrap.log)"

say "copying the checkout to /root/cvmify"
mkdir -p "$CHROOT/root/cvmify"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' \
    | tar --null -T - -cf -) | tar -xf - -C "$CHROOT/root/cvmify"

mount -t proc proc "$CHROOT/proc"
mount --rbind /sys "$CHROOT/sys"
mount --rbind /dev "$CHROOT/dev"
# /var/run is a symlink to /run in Debian (an absolute one: never follow
# it from outside the chroot); the socket goes to the chroot's /run.
mkdir -p "$CHROOT/run"
touch "$CHROOT/run/docker.sock"
mount --bind "$(readlink -f "$SOCKET")" "$CHROOT/run/docker.sock"
cp /etc/resolv.conf "$CHROOT/etc/resolv.conf"
# This machine's local CA certificates, for networks whose egress proxy
# re-signs TLS: the chroot's ca-certificates package takes them in when
# setup.sh installs it. A machine on an open network has none.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    mkdir -p "$CHROOT/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$CHROOT/usr/local/share/ca-certificates/"
fi
# no services start inside the chroot (docker.io's postinst would try)
printf '#!/bin/sh\nexit 101\n' >"$CHROOT/usr/sbin/policy-rc.d"
chmod 755 "$CHROOT/usr/sbin/policy-rc.d"

in_chroot() {
    chroot "$CHROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/bash -c "cd /root/cvmify && $1"
}

say "command 1: scripts/demo.sh"
in_chroot "scripts/demo.sh" </dev/null | tee "$WORK/demo.log"
grep -q "Hello, world" "$WORK/demo.log" || die "the demo did not print the example's greeting"
say "command 1: OK"

if [ "$DEMO_ONLY" -eq 0 ]; then
    say "command 2: .ci/run"
    in_chroot "CI=true .ci/run" </dev/null | tee "$WORK/ci.log"
    tail -n 1 "$WORK/ci.log" | grep -q "CI: OK" || die ".ci/run failed (see $WORK/ci.log)"
    say "command 2: OK"
fi
say "passed"
