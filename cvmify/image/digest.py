"""Content digests ("sha256:<hex>"): parsing, and verification while streaming.

A digest string comes from a manifest, an index or an archive we do not
trust, and it is later used to name files (blobs/sha256/<hex>). So it is
parsed strictly here, once, before it is used for anything.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from typing import BinaryIO

from cvmify.errors import IntegrityError, UnsafeImageError, UnsupportedImageError

# algorithm -> length of its hex encoding
ALGORITHMS = {"sha256": 64, "sha512": 128}
_HEX = re.compile(r"[0-9a-f]+")

CHUNK_SIZE = 1 << 20


@dataclass(frozen=True)
class Digest:
    algorithm: str
    hex: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"

    def hasher(self):
        return hashlib.new(self.algorithm)


def parse_digest(text: object, what: str = "digest") -> Digest:
    """'sha256:ab..' -> Digest. Refuses anything that is not exactly that."""
    if not isinstance(text, str) or ":" not in text:
        raise UnsafeImageError(f"{what}: malformed digest {text!r}")
    algorithm, hex_part = text.split(":", 1)
    if algorithm not in ALGORITHMS:
        raise UnsupportedImageError(f"{what}: unsupported digest algorithm {algorithm!r}")
    if len(hex_part) != ALGORITHMS[algorithm] or not _HEX.fullmatch(hex_part):
        raise UnsafeImageError(f"{what}: malformed digest {text!r}")
    return Digest(algorithm, hex_part)


def digest_bytes(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def verify_bytes(data: bytes, expected: str, what: str) -> None:
    """Raise IntegrityError unless `data` hashes to `expected`."""
    digest = parse_digest(expected, what)
    actual = digest_bytes(data, digest.algorithm)
    if actual != str(digest):
        raise IntegrityError(f"{what}: digest mismatch: expected {digest}, got {actual}")


def read_verified(stream: BinaryIO, expected: str, size: int | None, limit: int, what: str) -> bytes:
    """Read a small blob (manifest, config) completely and verify it."""
    if size is not None and size > limit:
        raise UnsafeImageError(f"{what}: {size} bytes is more than the {limit}-byte limit")
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UnsafeImageError(f"{what}: more than the {limit}-byte limit")
    if size is not None and len(data) != size:
        raise IntegrityError(f"{what}: size mismatch: expected {size} bytes, got {len(data)}")
    verify_bytes(data, expected, what)
    return data


class VerifyingReader(io.RawIOBase):
    """Hashes every byte read from `raw`; `finish()` reads the rest and
    raises IntegrityError if the size or the digest is wrong.

    Reading more than `size` bytes fails at once, so a lying source cannot
    make us read forever. Does not close `raw`; the owner does.
    """

    def __init__(self, raw: BinaryIO, expected: str, size: int | None, what: str):
        super().__init__()
        self._raw = raw
        self._digest = parse_digest(expected, what)
        self._hasher = self._digest.hasher()
        self._size = size
        self._count = 0
        self._what = what
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        count = self._raw.readinto(view)
        if not count:
            self._eof = True
            return 0
        self._count += count
        if self._size is not None and self._count > self._size:
            raise IntegrityError(f"{self._what}: longer than the declared {self._size} bytes")
        self._hasher.update(view[:count])
        return count

    def finish(self) -> None:
        """Drain what is left, then check size and digest."""
        while not self._eof:
            if not self.read(CHUNK_SIZE):
                break
        if self._size is not None and self._count != self._size:
            raise IntegrityError(
                f"{self._what}: size mismatch: expected {self._size} bytes, got {self._count}"
            )
        actual = f"{self._digest.algorithm}:{self._hasher.hexdigest()}"
        if actual != str(self._digest):
            raise IntegrityError(f"{self._what}: digest mismatch: expected {self._digest}, got {actual}")


class HashingReader(io.RawIOBase):
    """Hashes (sha256) every byte read from `raw`, for bytes whose expected
    digest is only known later; `drain()` reads the rest, `digest` names
    what was read. Does not close `raw`."""

    def __init__(self, raw: BinaryIO):
        super().__init__()
        self._raw = raw
        self._hasher = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        count = self._raw.readinto(view)
        if count:
            self._hasher.update(view[:count])
            self.size += count
        return count or 0

    def drain(self) -> None:
        buffer = bytearray(CHUNK_SIZE)
        while self.readinto(buffer):
            pass

    @property
    def digest(self) -> str:
        return f"sha256:{self._hasher.hexdigest()}"
