"""Size limits on tar headers, enforced before a header's data is read.

A pax extended header or a GNU long name is read by allocating the size
its header claims, and a layer could claim gigabytes. Layer tars are read
by cvmify/image/tar_reader.py, which checks these limits itself. The
outer tar of a `docker save` stream is still read with Python's tarfile:
LimitedTarInfo refuses first there (it hooks the documented
`_proc_member` extension point of tarfile.TarInfo).
"""

from __future__ import annotations

import tarfile

MAX_NAME_SIZE = 4096  # bytes in a member name or link name
MAX_PAX_SIZE = 1 << 20  # bytes in one pax extended header
MAX_MEMBERS = 1_000_000  # members in one layer

_PAX_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)
_GNU_LONG_TYPES = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)


class HeaderTooLarge(Exception):
    """Raised from inside tarfile; the caller names the archive."""


class LimitedTarInfo(tarfile.TarInfo):
    def _proc_member(self, tarfile_):
        if self.type in _PAX_TYPES and self.size > MAX_PAX_SIZE:
            raise HeaderTooLarge(f"pax header of {self.size} bytes (limit {MAX_PAX_SIZE})")
        if self.type in _GNU_LONG_TYPES and self.size > MAX_NAME_SIZE + 1:
            raise HeaderTooLarge(f"GNU long name of {self.size} bytes (limit {MAX_NAME_SIZE})")
        return super()._proc_member(tarfile_)


def name_size(name: str) -> int:
    return len(name.encode("utf-8", "surrogateescape"))
