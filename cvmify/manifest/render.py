"""The final manifest as TOML text (the bundle's manifest.toml).

Deterministic: top-level tables in a fixed order, keys inside them sorted,
so the same manifest always renders to the same bytes."""

from __future__ import annotations

import tomli_w

TOP_ORDER = ("libos", "loader", "fs", "sys", "image")
HEADER = (
    "# cvmify manifest (docs/manifest.md).\n"
    "# Inferred from the image, then merged with base-manifests/ and --manifest.\n"
    "# Everything here is measured through config.bin; edit it with\n"
    "# `cvmify build --manifest FILE`, not in the bundle.\n\n"
)


def render_toml(m: dict) -> str:
    ordered = {key: _sorted(m[key]) for key in TOP_ORDER if key in m}
    for key in sorted(m):
        if key not in ordered:
            ordered[key] = _sorted(m[key])
    return HEADER + tomli_w.dumps(ordered)


def _sorted(value):
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
