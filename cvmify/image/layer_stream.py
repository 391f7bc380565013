"""An uncompressed layer tar stream whose bytes are verified as they pass.

    stored blob -> VerifyingReader(layer digest) -> decompressor
                -> VerifyingReader(diff_id from the config) -> consumer

Both digests are checked as soon as the consumer reaches the end, and at
the latest in `verify()` / `close()`, which drain whatever the consumer
did not read (a tar reader stops at the end-of-archive blocks). The
diff_id check binds the layers to the config digest, which the bundle
records.
"""

from __future__ import annotations

import gzip
import io
from typing import BinaryIO

from cvmify.image.digest import VerifyingReader
from cvmify.image.mediatypes import layer_compression


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
                 diff_id: str | None, what: str):
        super().__init__()
        compression = layer_compression(media_type)
        self._blob = blob
        self._stored = VerifyingReader(blob, digest, size, f"{what} blob")
        try:
            decompressed = _decompressor(io.BufferedReader(self._stored), compression)
        except BaseException:
            blob.close()
            raise
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
