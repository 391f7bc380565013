"""Content hashes and locks for the test-image cache.

An image is rebuilt only when its *recipe* changes: the files of its build
context, the extra inputs its recipe names (a host binary, a compiler
version, the builder code that shapes it) and the hashes of its parents.
The hash is stored as a tag suffix (`cvmify-test/NAME:h-<hash>`) and as a
label, so a lookup by tag answers "is this exact recipe already built?".
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Iterator

# Bump to force every test image to rebuild (e.g. after a builder fix).
CACHE_VERSION = b"cvmify-test-images/1"
HASH_LABEL = "org.cvmify.test.hash"
TAG_PREFIX = "h-"
TAG_HASH_LEN = 20


def is_executable(path: Path) -> bool:
    return bool(path.stat().st_mode & 0o111)


def hash_tree(root: Path, digest: hashlib._Hash) -> None:
    """Feed every file below `root` into `digest`: relative path, whether it is
    executable, and content. Order is sorted, so the result is stable."""
    for path in sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(root).as_posix().encode()
        digest.update(b"file\0" + rel + b"\0")
        if path.is_symlink():
            digest.update(b"link\0" + os.readlink(path).encode() + b"\0")
            continue
        digest.update(b"x\0" if is_executable(path) else b"-\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def recipe_hash(name: str, context: Path | None, inputs: list[bytes], parents: list[str]) -> str:
    """The hex hash naming one exact recipe of image `name`."""
    digest = hashlib.sha256(CACHE_VERSION + b"\0" + name.encode() + b"\0")
    if context is not None:
        hash_tree(context, digest)
    for item in inputs:
        digest.update(b"input\0" + hashlib.sha256(item).digest())
    for parent in parents:
        digest.update(b"parent\0" + parent.encode() + b"\0")
    return digest.hexdigest()


def hash_tag(repo: str, content_hash: str) -> str:
    return f"{repo}:{TAG_PREFIX}{content_hash[:TAG_HASH_LEN]}"


@contextmanager
def build_lock(name: str) -> Iterator[None]:
    """Serialize builds of one image across processes (CI prebuild, pytest,
    benchmarks may race). The lock is advisory and dies with the process."""
    lock_dir = Path(tempfile.gettempdir()) / "cvmify-test-images"
    lock_dir.mkdir(exist_ok=True)
    with open(lock_dir / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
