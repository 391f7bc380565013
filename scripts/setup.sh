#!/usr/bin/env bash
# Prepare a Debian/Ubuntu machine to build and test cvmify. Idempotent:
# every step checks first and does nothing when its work is already done,
# so running it again is fast.
#
#   scripts/setup.sh                 # packages, venv, docker, kernel
#   scripts/setup.sh venv kernel     # only these steps
#   scripts/setup.sh all images      # ... and prebuild the test images
#
# Steps:
#   packages  apt packages (apt-get update runs once, only if one is missing)
#   venv      .venv with python3 >= 3.11 and `pip install -e '.[test]'`
#   docker    a reachable docker daemon (scripts/dockerd.sh)
#   kernel    make -C kernel, if kernel/Makefile exists
#   images    python -m tests.images.build all (cached, see tests/images/)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
cd "$ROOT"

# package[:command] -- with a command, having the command is enough (e.g. a
# docker-ce install provides dockerd without the docker.io package).
PACKAGES=(
    docker.io:dockerd
    qemu-system-x86:qemu-system-x86_64
    busybox-static
    docker-registry:/usr/bin/docker-registry
    debootstrap:debootstrap
    debian-archive-keyring
    gcc:gcc
    clang:clang
    libclang-rt-14-dev
    libc6-dev
    make:make
    xz-utils:xz
    dpkg-dev:dpkg-architecture
    binutils:objdump
    ca-certificates
    python3:python3
    curl:curl
    postgresql-client:psql
    redis-tools:redis-cli
    clang:clang
    libclang-rt-14-dev
)

say() { echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root (or sudo) for: $*"
    fi
}

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing_packages() {
    local entry pkg cmd
    for entry in "${PACKAGES[@]}"; do
        pkg="${entry%%:*}"
        cmd=""
        [[ "$entry" == *:* ]] && cmd="${entry#*:}"
        if [ -n "$cmd" ] && command -v "$cmd" >/dev/null 2>&1; then continue; fi
        installed "$pkg" || echo "$pkg"
    done
    # Debian's python splits venv/ensurepip into python3-venv. Without
    # python3 yet, it comes in the same apt run as python3 itself.
    if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        echo python3-venv
    fi
}

step_packages() {
    command -v dpkg-query >/dev/null || die "not a Debian/Ubuntu machine (no dpkg-query)"
    local missing
    missing="$(missing_packages | sort -u | tr '\n' ' ')"
    if [ -z "${missing// /}" ]; then
        say "packages: all present"
        return
    fi
    say "packages: installing $missing"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q
    # shellcheck disable=SC2086 # word splitting of the package list is wanted
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}

python_ok() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null
}

step_venv() {
    command -v python3 >/dev/null || die "python3 not found"
    python_ok python3 || die "python3 is $(python3 --version 2>&1); cvmify needs >= 3.11"
    if [ ! -x "$VENV/bin/python" ] || ! python_ok "$VENV/bin/python"; then
        say "venv: creating $VENV"
        rm -rf "$VENV"
        python3 -m venv "$VENV"
    fi
    # Reinstall only when the project's dependencies changed.
    local stamp="$VENV/.cvmify-installed" want
    want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
        && "$VENV/bin/python" -c 'import cvmify, pytest, docker' 2>/dev/null; then
        say "venv: up to date"
    else
        say "venv: pip install -e '.[test]'"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        # compat: a plain path in a .pth file, not an import hook that every
        # interpreter start loads (it cost `cvmify run` ~15 ms, docs/benchmarks.md)
        "$VENV/bin/python" -m pip install -q -e ".[test]" --config-settings editable_mode=compat
        echo "$want" >"$stamp"
    fi
    # Bytecode now, as pip does for an installed wheel: `cvmify run` then
    # starts fast even where nothing may write a cache at run time
    # (PYTHONDONTWRITEBYTECODE), docs/benchmarks.md.
    "$VENV/bin/python" -m compileall -q "$ROOT/cvmify" >/dev/null
}

step_docker() {
    "$ROOT/scripts/dockerd.sh"
    say "docker: $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo reachable)"
}

step_kernel() {
    if [ ! -f "$ROOT/kernel/Makefile" ]; then
        say "kernel: no kernel/Makefile yet, skipped"
        return
    fi
    say "kernel: make -C kernel"
    nice make -C "$ROOT/kernel"
}

step_images() {
    [ -x "$VENV/bin/python" ] || die "images: run the venv step first"
    say "images: building (cached) test images"
    as_root "$VENV/bin/python" -m tests.images.build all
}

main() {
    local steps=("$@")
    [ ${#steps[@]} -eq 0 ] && steps=(all)
    local step
    for step in "${steps[@]}"; do
        case "$step" in
            all) step_packages; step_venv; step_docker; step_kernel ;;
            packages | venv | docker | kernel | images) "step_$step" ;;
            -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
            *) die "unknown step '$step' (try --help)" ;;
        esac
    done
}

# Sourced (by tests) it only defines the functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main "$@"
fi
