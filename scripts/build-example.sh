#!/usr/bin/env bash
# Build an example image into the docker daemon (and the test images it
# starts from), cached like every test image:
#   scripts/build-example.sh hello        -> cvmify-example/hello:latest
#   scripts/build-example.sh python-app   -> cvmify-example/python-app:latest
# Needs a docker daemon (scripts/dockerd.sh); python-app also needs root
# once, for debootstrap of its Debian base.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -ne 1 ]; then
    names="$(cd "$ROOT/examples" && for d in */Dockerfile; do printf '%s ' "${d%/Dockerfile}"; done)"
    echo "usage: $0 NAME   (examples: $names)" >&2
    exit 2
fi
if [ ! -f "$ROOT/examples/$1/Dockerfile" ]; then
    echo "$0: no example named '$1' under examples/" >&2
    exit 2
fi
PYTHON="$ROOT/.venv/bin/python"
[ -x "$PYTHON" ] || PYTHON=python3
cd "$ROOT"
exec "$PYTHON" -m tests.images.build "$1"
