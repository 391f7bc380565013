"""Streaming block encryption: plaintext in, ciphertext to the file, tags kept.

The writer hands over the logical image in order; this class cuts it into
4096-byte blocks, encrypts block i with nonce i (AES-256-GCM, AES-NI via
`cryptography`), writes the ciphertext sequentially and keeps the 16-byte
tags for the tag table. Memory stays bounded by one chunk of plaintext and
one of ciphertext, whatever the image size.
"""

from __future__ import annotations

from typing import BinaryIO, Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cvmify.disk.keys import block_nonce
from cvmify.disk.layout import BLOCK_SIZE, TAG_SIZE
from cvmify.errors import CvmifyIOError, IntegrityError

CHUNK_BLOCKS = 256  # 1 MiB of plaintext per write()
READ_CHUNK = CHUNK_BLOCKS * BLOCK_SIZE


class BlockEncryptor:
    def __init__(self, out: BinaryIO, aead: AESGCM, block_count: int,
                 progress: Callable[[int], None] | None = None):
        self._out = out
        self._aead = aead
        self._block_count = block_count
        self._progress = progress
        self._plain = bytearray(CHUNK_BLOCKS * BLOCK_SIZE)
        # encrypt_into appends the tag after the ciphertext: room for one more tag
        self._cipher = bytearray(CHUNK_BLOCKS * BLOCK_SIZE + TAG_SIZE)
        self._fill = 0  # bytes of plaintext waiting in _plain
        self._next_block = 0
        self._tags = bytearray(block_count * TAG_SIZE)

    @property
    def position(self) -> int:
        """Logical offset of the next plaintext byte."""
        return self._next_block * BLOCK_SIZE + self._fill

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            room = len(self._plain) - self._fill
            take = min(room, len(view))
            self._plain[self._fill:self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]
            if self._fill == len(self._plain):
                self._flush()

    def pad_to(self, offset: int) -> None:
        """Zero-fill up to logical `offset` (the plan and the stream must agree)."""
        gap = offset - self.position
        if gap < 0:
            raise AssertionError(f"disk writer overran its plan: at {self.position}, next item at {offset}")
        while gap:
            step = min(gap, len(self._plain) - self._fill)
            self._plain[self._fill:self._fill + step] = bytes(step)
            self._fill += step
            gap -= step
            if self._fill == len(self._plain):
                self._flush()

    def copy_file(self, blob: BinaryIO, size: int, where: str) -> None:
        """Read exactly `size` bytes from `blob` straight into the plaintext buffer."""
        remaining = size
        plain = memoryview(self._plain)
        while remaining:
            want = min(remaining, len(self._plain) - self._fill)
            got = blob.readinto(plain[self._fill:self._fill + want])
            if not got:
                raise IntegrityError(f"{where}: staged content shrank while writing the disk")
            self._fill += got
            remaining -= got
            if self._fill == len(self._plain):
                self._flush()
        if blob.read(1):
            raise IntegrityError(f"{where}: staged content grew while writing the disk")

    def finish(self) -> bytes:
        """Pad the last block with zeros, write it, return the tag table (no padding)."""
        tail = -self._fill % BLOCK_SIZE
        self._plain[self._fill:self._fill + tail] = bytes(tail)
        self._fill += tail
        self._flush()
        if self._next_block != self._block_count:
            raise AssertionError(f"disk writer planned {self._block_count} blocks, wrote {self._next_block}")
        return bytes(self._tags)

    def _flush(self) -> None:
        blocks = self._fill // BLOCK_SIZE
        if self._next_block + blocks > self._block_count:
            raise AssertionError("disk writer produced more blocks than planned")
        plain, cipher = memoryview(self._plain), memoryview(self._cipher)
        for k in range(blocks):
            index = self._next_block + k
            at = k * BLOCK_SIZE
            self._aead.encrypt_into(block_nonce(index), plain[at:at + BLOCK_SIZE], None,
                                    cipher[at:at + BLOCK_SIZE + TAG_SIZE])
            # the tag lands where the next block's ciphertext goes: save it first
            self._tags[index * TAG_SIZE:(index + 1) * TAG_SIZE] = cipher[at + BLOCK_SIZE:at + BLOCK_SIZE + TAG_SIZE]
        try:
            self._out.write(cipher[:blocks * BLOCK_SIZE])
        except OSError as e:
            raise CvmifyIOError(f"writing the disk image: {e}") from e
        self._next_block += blocks
        self._fill -= blocks * BLOCK_SIZE  # only the last flush can leave a tail; finish() pads it
        if self._progress is not None:
            self._progress(blocks * BLOCK_SIZE)
