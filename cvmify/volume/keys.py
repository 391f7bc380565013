"""Keys, nonces and the header MAC of a volume (docs/volume-format.md).

The volume key (32 random bytes) never encrypts anything itself: HKDF
turns it into the AES-256-GCM data key and the HMAC-SHA-384 header key,
both salted with the volume's uuid.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cvmify.errors import UsageError
from cvmify.volume.layout import BLOCK_SIZE, HEADER_SIZE, MAC_OFFSET, MAC_SIZE, TAG_SIZE

VOLUME_KEY_SIZE = 32
DATA_KEY_INFO = b"cvmify volume v1 data"
HEADER_KEY_INFO = b"cvmify volume v1 header"


def check_volume_key(key: bytes) -> None:
    if len(key) != VOLUME_KEY_SIZE:
        raise UsageError(f"a volume key must be {VOLUME_KEY_SIZE} bytes, got {len(key)}")


def _hkdf(key: bytes, uuid: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA384(), length=length, salt=uuid, info=info).derive(key)


def nonce(epoch: int, counter: int) -> bytes:
    """u32le(epoch) || u64le(counter)."""
    return epoch.to_bytes(4, "little") + counter.to_bytes(8, "little")


def volume_root(slot: bytes) -> bytes:
    """SHA-384 of a header slot's 256 bytes: the name of one state."""
    return hashlib.sha384(slot[:HEADER_SIZE]).digest()


@dataclass
class VolumeKeys:
    """The derived keys of one volume."""

    aead: AESGCM
    header_key: bytes

    @classmethod
    def derive(cls, key: bytes, uuid: bytes) -> "VolumeKeys":
        check_volume_key(key)
        return cls(AESGCM(_hkdf(key, uuid, DATA_KEY_INFO, 32)),
                   _hkdf(key, uuid, HEADER_KEY_INFO, MAC_SIZE))

    def mac(self, body: bytes) -> bytes:
        return hmac.new(self.header_key, body[:MAC_OFFSET], hashlib.sha384).digest()

    def mac_ok(self, slot: bytes) -> bool:
        return hmac.compare_digest(self.mac(slot), slot[MAC_OFFSET:MAC_OFFSET + MAC_SIZE])

    def encrypt(self, nonce_bytes: bytes, plain: bytes) -> tuple[bytes, bytes]:
        """(ciphertext, tag) of one 4096-byte block."""
        assert len(plain) == BLOCK_SIZE
        sealed = self.aead.encrypt(nonce_bytes, plain, None)
        return sealed[:BLOCK_SIZE], sealed[BLOCK_SIZE:]

    def decrypt(self, nonce_bytes: bytes, cipher: bytes, tag: bytes) -> bytes | None:
        """The plaintext, or None when the tag does not verify."""
        if len(cipher) != BLOCK_SIZE or len(tag) != TAG_SIZE:
            return None
        try:
            return self.aead.decrypt(nonce_bytes, cipher + tag, None)
        except InvalidTag:
            return None
