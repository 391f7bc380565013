"""Reading manifest files (the user's --manifest and base-manifests/)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from cvmify.errors import CvmifyIOError, InvalidManifestError

MAX_MANIFEST_SIZE = 1 << 20


def load_manifest_file(path: str | Path) -> dict:
    """Parse a TOML manifest file. Syntax errors become InvalidManifestError
    naming the file; types and keys are checked later by schema.py."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CvmifyIOError(f"cannot read manifest {path}: {e.strerror or e}") from e
    if len(data) > MAX_MANIFEST_SIZE:
        raise InvalidManifestError(f"{path}: larger than {MAX_MANIFEST_SIZE} bytes")
    return parse_manifest_text(data, str(path))


def parse_manifest_text(data: bytes, where: str) -> dict:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidManifestError(f"{where}: not UTF-8 ({e})") from e
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InvalidManifestError(f"{where}: invalid TOML: {e}") from e
