"""Key derivation and nonces for the disk image (docs/disk-format.md).

The disk key (32 bytes, from the bundle) never encrypts anything itself:
each image gets its own AES-256-GCM key through HKDF with the image's salt,
so one disk key can be reused for several images without ever reusing a
(key, nonce) pair with different plaintext.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cvmify.errors import UsageError

DISK_KEY_SIZE = 32
SALT_SIZE = 32
IMAGE_KEY_INFO = b"cvmify disk v1 aes-256-gcm"


def check_disk_key(key: bytes) -> None:
    if len(key) != DISK_KEY_SIZE:
        raise UsageError(f"disk key must be {DISK_KEY_SIZE} bytes, got {len(key)}")


def image_key(disk_key: bytes, salt: bytes) -> bytes:
    """HKDF-SHA384(ikm=disk key, salt=superblock salt, info=IMAGE_KEY_INFO) -> 32 bytes."""
    check_disk_key(disk_key)
    hkdf = HKDF(algorithm=hashes.SHA384(), length=32, salt=salt, info=IMAGE_KEY_INFO)
    return hkdf.derive(disk_key)


def block_nonce(index: int) -> bytes:
    """The 12-byte GCM nonce of block `index`: u64le(index) || 4 zero bytes."""
    return index.to_bytes(8, "little") + bytes(4)
