"""MRTD: what the TDX module measures while the host builds the TD.

MRTD is one running SHA-384 over 128-byte records (TDX Module ABI spec,
TDH.MEM.PAGE.ADD and TDH.MR.EXTEND):
- TDH.MEM.PAGE.ADD of a page: "MEM.PAGE.ADD" (12 ASCII bytes), zeros to
  offset 16, the page's GPA as u64 little-endian, zeros to 128 bytes;
- TDH.MR.EXTEND of a 256-byte chunk: "MR.EXTEND" (9 bytes), zeros to 16,
  the chunk's GPA (u64 LE), zeros to 128, then the 256 bytes of content.

The host adds every page of every TDVF section, in descriptor order, and
extends the pages of sections with the MR.EXTEND attribute. Two orders
are in use:
- "single" (upstream KVM, Linux 6.16+ with QEMU 10.1+): per page, ADD
  then its 16 EXTENDs (KVM_TDX_INIT_MEM_REGION's post-populate step);
- "two-pass" (QEMU 8.x-era TDX stacks): per section, ADD every page,
  then EXTEND every page.
"""

from __future__ import annotations

import hashlib
import struct

from cvmify.errors import UsageError
from cvmify.tdx.tdvf import PAGE, TdImage, TdvfSection

ORDERS = ("single", "two-pass")
CHUNK = 256


def _record(name: bytes, gpa: int) -> bytes:
    return name.ljust(16, b"\0") + struct.pack("<Q", gpa) + bytes(104)


def _page_add(h: "hashlib._Hash", section: TdvfSection, page: int) -> None:
    h.update(_record(b"MEM.PAGE.ADD", section.address + page * PAGE))


def _page_extend(h: "hashlib._Hash", image: TdImage, section: TdvfSection, page: int) -> None:
    if not section.extended:
        return
    for chunk in range(PAGE // CHUNK):
        offset = page * PAGE + chunk * CHUNK
        h.update(_record(b"MR.EXTEND", section.address + offset))
        start = section.data_offset + offset
        h.update(image.data[start:start + CHUNK])


def compute_mrtd(image: TdImage, order: str = "single") -> bytes:
    """MRTD for td.fd as the host adds it in `order` (ORDERS)."""
    if order not in ORDERS:
        raise UsageError(f"MRTD page order {order!r}: expected one of {', '.join(ORDERS)}")
    h = hashlib.sha384()
    for section in image.sections:
        pages = section.memory_size // PAGE
        if order == "single":
            for page in range(pages):
                _page_add(h, section, page)
                _page_extend(h, image, section, page)
        else:
            for page in range(pages):
                _page_add(h, section, page)
            for page in range(pages):
                _page_extend(h, image, section, page)
    return h.digest()
