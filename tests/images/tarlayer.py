"""Layer tarballs written by hand, member by member, with tarfile.

Used for the `layers` test image (tests/images/layers.py) and by the
image tests that need layers docker would never write (escaping names,
device nodes, hand-made headers). Every member gets the same fixed
mtime and owner 0 unless told otherwise, so a layer's bytes depend only
on what was added: its digest is stable from run to run.
"""

from __future__ import annotations

import io
import tarfile
from typing import Callable

# Fixed timestamp for every member we write, so the layers are reproducible.
EPOCH = 1700000000


class TarBuilder:
    """Adds members to a tar in memory. Names are written exactly as given."""

    def __init__(self, fmt: int = tarfile.PAX_FORMAT):
        self.buffer = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buffer, mode="w", format=fmt)

    def _info(self, name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.mtime = kind, mode, EPOCH
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    def dir(self, name: str, mode: int = 0o755) -> None:
        self.tar.addfile(self._info(name, tarfile.DIRTYPE, mode))

    def file(self, name: str, content: bytes = b"", mode: int = 0o644, uid: int = 0) -> None:
        info = self._info(name, tarfile.REGTYPE, mode)
        info.size, info.uid = len(content), uid
        self.tar.addfile(info, io.BytesIO(content))

    def symlink(self, name: str, target: str) -> None:
        info = self._info(name, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self.tar.addfile(info)

    def hardlink(self, name: str, target: str) -> None:
        info = self._info(name, tarfile.LNKTYPE, 0o644)
        info.linkname = target
        self.tar.addfile(info)

    def special(self, name: str, kind: bytes) -> None:
        info = self._info(name, kind, 0o666)
        info.devmajor, info.devminor = 1, 3
        self.tar.addfile(info)

    def raw(self, data: bytes) -> None:
        """Bytes appended as they are (hand-made headers)."""
        self.tar.fileobj.write(data)
        self.tar.offset += len(data)

    def finish(self) -> bytes:
        """Close the archive; returns the whole tarball."""
        self.tar.close()
        return self.buffer.getvalue()


def tar_layer(build: Callable[[TarBuilder], None], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """`tar_layer(lambda t: t.file("etc/hostname", b"cvm\\n"))` -> tarball bytes."""
    builder = TarBuilder(fmt)
    build(builder)
    return builder.finish()
