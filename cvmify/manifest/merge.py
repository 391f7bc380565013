"""Merging manifest fragments: tables merge recursively, everything else
(arrays, scalars, and a table replacing a non-table) is replaced by the
later fragment. Keys cannot be deleted, only given a new value."""

from __future__ import annotations

import copy


def merge_manifests(base: dict, override: dict) -> dict:
    """A new dict: `base` with `override` applied. Neither input is changed."""
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_manifests(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def merge_all(fragments: list[dict]) -> dict:
    """Fold left to right: later fragments win."""
    result: dict = {}
    for fragment in fragments:
        result = merge_manifests(result, fragment)
    return result
