"""An uncompressed layer tar stream whose bytes are verified as they pass.

    stored blob -> VerifyingReader(layer digest) -> decompressor
                -> UnpackBudget -> VerifyingReader(diff_id from the config) -> consumer

The budget bounds what the layers of one image decompress to, counted as
the bytes come out of the decompressor: a small blob that inflates
without end (a "zip bomb") is refused once the image passes
CVMIFY_MAX_IMAGE_SIZE (default 64 GiB), before it fills the disk.

Both digests are checked as soon as the consumer reaches the end, and at
the latest in `verify()` / `close()`, which drain whatever the consumer
did not read (a tar reader stops at the end-of-archive blocks). The
diff_id check binds the layers to the config digest, which the bundle
records.
"""

from __future__ import annotations

import gzip
import io
import os
import re
from typing import BinaryIO

from cvmify.errors import UnsafeImageError, UsageError
from cvmify.image.digest import VerifyingReader
from cvmify.image.mediatypes import layer_compression

MAX_IMAGE_SIZE_ENV = "CVMIFY_MAX_IMAGE_SIZE"
DEFAULT_MAX_IMAGE_SIZE = 64 << 30
_SIZE = re.compile(r"^([0-9]{1,15})([KMGT]?)$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def max_image_size(environ=os.environ) -> int:
    """$CVMIFY_MAX_IMAGE_SIZE (bytes, or with a K/M/G/T suffix), else 64 GiB."""
    text = environ.get(MAX_IMAGE_SIZE_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_IMAGE_SIZE
    match = _SIZE.match(text)
    if not match:
        raise UsageError(f"${MAX_IMAGE_SIZE_ENV}={text!r}: expected a size like 8G or 500M")
    return int(match.group(1)) * _UNITS[match.group(2).upper()]


class UnpackBudget:
    """How many decompressed bytes the layers of one image may still give."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0

    def take(self, count: int, what: str) -> None:
        self.used += count
        if self.used > self.limit:
            raise UnsafeImageError(
                f"{what}: the image's layers decompress to more than {self.limit} bytes "
                f"(raise ${MAX_IMAGE_SIZE_ENV} if the image is really this large)")


class _Budgeted(io.RawIOBase):
    """Counts what `raw` gives against `budget`. Does not close `raw`."""

    def __init__(self, raw: BinaryIO, budget: UnpackBudget, what: str):
        super().__init__()
        self._raw, self._budget, self._what = raw, budget, what

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._raw.readinto(buffer)
        if count:
            self._budget.take(count, self._what)
        return count


def _decompressor(compressed: BinaryIO, compression: str) -> BinaryIO:
    if compression == "none":
        return compressed
    if compression == "gzip":
        return gzip.GzipFile(fileobj=compressed, mode="rb")
    import zstandard  # optional; layer_compression() checked that it is there

    return zstandard.ZstdDecompressor().stream_reader(compressed, read_across_frames=True)


class LayerStream(io.RawIOBase):
    """Readable uncompressed tar. Owns `blob` and closes it."""

    def __init__(self, blob: BinaryIO, digest: str, size: int | None, media_type: str,
                 diff_id: str | None, what: str, budget: UnpackBudget | None = None):
        super().__init__()
        compression = layer_compression(media_type)
        self._blob = blob
        self._stored = VerifyingReader(blob, digest, size, f"{what} blob")
        try:
            decompressed = _decompressor(io.BufferedReader(self._stored), compression)
        except BaseException:
            blob.close()
            raise
        if budget is not None:
            decompressed = _Budgeted(decompressed, budget, what)
        self._plain: VerifyingReader | None = None
        self._source: BinaryIO = decompressed
        # an uncompressed blob named by its diff_id is checked once, not twice
        if diff_id is not None and not (compression == "none" and diff_id == digest):
            self._plain = VerifyingReader(decompressed, diff_id, None, f"{what} content (diff_id)")
            self._source = self._plain
        self._verified = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._source.readinto(buffer)
        if not count:
            self.verify()
            return 0
        return count

    def verify(self) -> None:
        """Drain the rest and check both digests; IntegrityError on mismatch.
        When anything fails, a wrong stored blob is reported first: it is the
        likelier cause of garbage after decompression."""
        if self._verified:
            return
        try:
            if self._plain is not None:
                self._plain.finish()
            else:
                while self._source.read(1 << 20):
                    pass
        except Exception:
            self._stored.finish()  # a wrong stored blob explains the rest
            raise
        self._stored.finish()
        self._verified = True

    def close(self) -> None:
        if self.closed:
            return
        try:
            self.verify()
        finally:
            self._blob.close()
            super().close()
