"""base-manifests/: default settings chosen from what the image runs.

Fragments are applied in this order (later wins): generic, then the libc
flavour (glibc / musl / static), then a language runtime (python, node,
java) if one is recognised in the executed chain.
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path

from cvmify import paths
from cvmify.errors import CvmifyIOError
from cvmify.manifest.load import load_manifest_file
from cvmify.manifest.schema import validate_fragment

log = logging.getLogger(__name__)

LANGUAGES = (
    ("python", re.compile(r"python(\d+(\.\d+)*)?")),
    ("node", re.compile(r"node(js)?")),
    ("java", re.compile(r"java")),
)


def base_manifest_dir() -> Path:
    """Where the fragments are (cvmify/paths.py decides)."""
    return paths.base_manifest_dir()


def select_fragments(m: dict) -> list[str]:
    """Names of the fragments for an analysed manifest (needs image.*)."""
    image = m.get("image", {})
    interpreter = image.get("interpreter")
    if interpreter is None:
        libc = "static"
    else:
        libc = "musl" if posixpath.basename(interpreter).startswith("ld-musl-") else "glibc"
    names = ["generic", libc]
    executed = list(image.get("chain", [])) + [m.get("libos", {}).get("entrypoint", "")]
    basenames = {posixpath.basename(p) for p in executed if p}
    for language, pattern in LANGUAGES:
        if any(pattern.fullmatch(name) for name in basenames):
            names.append(language)
            break
    return names


def load_fragment(name: str, directory: Path | None = None) -> dict:
    path = (directory or base_manifest_dir()) / f"{name}.toml"
    if not path.is_file():
        raise CvmifyIOError(f"base manifest {path} is missing (set {paths.BASE_MANIFESTS_ENV} to the base-manifests directory)")
    fragment = load_manifest_file(path)
    validate_fragment(fragment, str(path))
    return fragment
