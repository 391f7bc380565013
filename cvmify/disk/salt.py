"""The disk salt: reproducible, and different for every distinct plaintext.

The salt only has to make the image key differ between images that could
share a disk key. It is derived from what determines the plaintext (the
writer's format version, the cvmify release whose unpacker made the tree,
the image config digest, SOURCE_DATE_EPOCH), so the same inputs give
byte-identical images, while a cvmify upgrade that changes what lands on the
disk never reuses (key, nonce) pairs with a reused --key. The exact byte string is
pinned in docs/disk-format.md; the reader treats the salt as opaque.
"""

from __future__ import annotations

import hashlib

from cvmify import __version__
from cvmify.disk.layout import VERSION
from cvmify.errors import UsageError

SALT_DOMAIN = b"cvmify-disk-salt-v1"


def derive_salt(config_digest: str, epoch: int | None) -> bytes:
    """SHA-256(domain || u32le(version) || cvmify version || 0x00 || config digest || 0x00 || epoch or "-")."""
    if not config_digest or not config_digest.isascii():
        raise UsageError(f"invalid image config digest {config_digest!r}")
    if epoch is not None and epoch < 0:
        raise UsageError(f"SOURCE_DATE_EPOCH must not be negative, got {epoch}")
    when = b"-" if epoch is None else str(epoch).encode("ascii")
    h = hashlib.sha256()
    h.update(SALT_DOMAIN)
    h.update(VERSION.to_bytes(4, "little"))
    h.update(__version__.encode("ascii"))
    h.update(b"\0")
    h.update(config_digest.encode("ascii"))
    h.update(b"\0")
    h.update(when)
    return h.digest()
