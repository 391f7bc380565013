"""Where unpacked file contents go: blobs in a private staging directory.

Every blob is a fresh counter name ('00000001', ...) opened with O_EXCL,
so nothing already in the directory is ever overwritten, and no name
from an archive ever reaches the host.

Files up to PACK_MAX_FILE bytes are appended to the current layer's
*pack*, one blob holding many files (Node.blob_offset says where each
starts). Creating a host file costs far more than writing a few KiB, and
an image has thousands of small files. Larger files get a blob of their
own, deleted when the last name for it leaves the model. The pack space
of small files a later layer replaces is not reclaimed; it is bounded by
the size of the layer that wrote them.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from cvmify.errors import CvmifyIOError, UnsafeImageError
from cvmify.image.rootfs import Node

PACK_MAX_FILE = 1 << 20  # bytes; larger files get their own blob
COPY_CHUNK = 1 << 20
PACK_BUFFER = 1 << 20  # small files are written through this buffer


class Staging:
    """Owns the blobs it creates; `close()` (or `end_layer()`) must run
    before anyone reads a pack."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.blob_count = 0
        self._pack: BinaryIO | None = None
        self._pack_path: Path | None = None
        self._pack_size = 0

    def store(self, content: BinaryIO, node: Node, ctx: str) -> None:
        """Copy `node.size` bytes from `content` into a blob and point
        `node` at them."""
        try:
            if node.size <= PACK_MAX_FILE:
                self._store_in_pack(content, node, ctx)
            else:
                self._store_alone(content, node, ctx)
        except OSError as e:
            raise CvmifyIOError(f"{ctx}: cannot write staged content: {e}") from None

    def release(self, node: Node) -> None:
        """`node` left the model: delete its blob if it has one to itself."""
        if node.blob is not None and node.blob_offset is None:
            node.blob.unlink(missing_ok=True)

    def end_layer(self) -> None:
        """Flush and close the current pack; the next layer starts a new one."""
        if self._pack is not None:
            pack, self._pack = self._pack, None
            try:
                pack.close()
            except OSError as e:
                raise CvmifyIOError(f"cannot write {self._pack_path}: {e}") from None

    close = end_layer

    # -- internals -----------------------------------------------------------

    def _create(self, ctx: str, buffering: int) -> tuple[Path, BinaryIO]:
        self.blob_count += 1
        path = self.directory / f"{self.blob_count:08d}"
        try:
            return path, open(path, "xb", buffering=buffering)  # "x": never overwrite
        except OSError as e:
            raise CvmifyIOError(f"{ctx}: cannot write {path}: {e}") from None

    def _store_in_pack(self, content: BinaryIO, node: Node, ctx: str) -> None:
        if self._pack is None:
            self._pack_path, self._pack = self._create(ctx, PACK_BUFFER)
            self._pack_size = 0
        written = _copy(content, self._pack, node.size, ctx)
        node.blob, node.blob_offset = self._pack_path, self._pack_size
        self._pack_size += written

    def _store_alone(self, content: BinaryIO, node: Node, ctx: str) -> None:
        path, out = self._create(ctx, -1)
        try:
            with out:
                _copy(content, out, node.size, ctx)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        node.blob, node.blob_offset = path, None


def _copy(content: BinaryIO, out: BinaryIO, size: int, ctx: str) -> int:
    """Exactly `size` bytes from `content` to `out`; returns `size`."""
    left = size
    while left:
        chunk = content.read(min(left, COPY_CHUNK))
        if not chunk:
            raise UnsafeImageError(f"{ctx}: content ends {left} bytes early")
        out.write(chunk)
        left -= len(chunk)
    return size
