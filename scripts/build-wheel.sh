#!/usr/bin/env bash
# Build the cvmify wheel: the Python package plus what it needs at run
# time outside a checkout: the kernels (the VM one and the TDX one that
# td.fd carries; built here, reproducibly: the same sources and toolchain
# give the same bytes) and base-manifests/.
#
#   scripts/build-wheel.sh [OUT_DIR]     # default dist/
#
# They are staged in cvmify/_data/ (ignored by git) and packaged from
# there (pyproject.toml, package-data). SOURCE_DATE_EPOCH (default: the
# last commit's time) fixes the timestamps in the archive.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/dist}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
cd "$ROOT"

make -C kernel >/dev/null
DATA=cvmify/_data
rm -rf "$DATA"
mkdir -p "$DATA/base-manifests" "$DATA/tdx"
cp kernel/build/cvmify-kernel.elf "$DATA/"
cp kernel/build/tdx/cvmify-kernel.elf "$DATA/tdx/"  # beside it: paths.TD_KERNEL_SUBPATH
cp base-manifests/*.toml "$DATA/base-manifests/"

export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 315532800)}"
mkdir -p "$OUT"
rm -rf build/lib build/bdist.*  # stale copies would go into the wheel
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$OUT" .
ls "$OUT"/cvmify-*.whl
