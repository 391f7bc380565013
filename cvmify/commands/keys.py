"""The development disk key: generated fresh, or read from --key FILE."""

from __future__ import annotations

import os
from pathlib import Path

from cvmify.bundle import KEY_SIZE
from cvmify.errors import UsageError

DEV_KEY_WARNING = (
    "the disk key is a development key stored next to the bundle (disk-key.dev, mode 0600): "
    "anyone who can read the bundle can read the disk"
)


def load_key_file(path: Path) -> bytes:
    """32 raw bytes, or 64 hex digits (one trailing newline allowed)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UsageError(f"--key {path}: {e.strerror}") from e
    if len(data) == KEY_SIZE:
        return data
    text = data[:-1] if data.endswith(b"\n") else data
    if len(text) == 2 * KEY_SIZE:
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            pass
    raise UsageError(f"--key {path}: expected {KEY_SIZE} raw bytes or {2 * KEY_SIZE} hex digits")


def new_key() -> bytes:
    return os.urandom(KEY_SIZE)
