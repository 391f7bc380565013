#!/usr/bin/env bash
# The main job on the bundled example, on a fresh machine:
# set up, build the example image, convert it with `cvmify build`,
# check it, and boot it with `cvmify run`.
#   scripts/demo.sh [EXAMPLE]     (default: hello; see examples/)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME="${1:-hello}"
cd "$ROOT"

scripts/setup.sh all </dev/null
scripts/build-example.sh "$NAME"

OUT="$ROOT/out/$NAME.bundle"
CVMIFY="$ROOT/.venv/bin/cvmify"
"$CVMIFY" build "docker-daemon:cvmify-example/$NAME:latest" -o "$OUT" --force
"$CVMIFY" inspect "$OUT" --verify
"$CVMIFY" measure "$OUT"
echo "=== cvmify run $OUT"
exec "$CVMIFY" run "$OUT"
