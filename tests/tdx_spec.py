"""An independent reading of td.fd and of MRTD, written from the specs for
the tests. It imports nothing from cvmify/ on purpose: it is the oracle
that cvmify/tdx/tdvf.py and cvmify/tdx/mrtd.py are compared with.

Sources (the facts only):
- QEMU hw/i386/pc_sysfw_ovmf.c: the footer GUID 48 bytes before the end
  of the flash image, a little-endian u16 table length in front of it
  (footer included), entries `data | u16 length | GUID` read backwards;
- QEMU hw/i386/tdvf.c and the TDVF design guide: the metadata offset
  entry, the "TDVF" descriptor and its 32-byte section entries;
- Intel TDX Module ABI specification: TDH.MEM.PAGE.ADD extends MRTD with
  a 128-byte block "MEM.PAGE.ADD" + GPA at byte 16; TDH.MR.EXTEND with a
  128-byte block "MR.EXTEND" + GPA at byte 16 followed by the 256 bytes.
"""

from __future__ import annotations

import hashlib

FOOTER = "96b582de-1fb2-45f7-baea-a366c55a082d"
METADATA = "e47a6535-984a-4798-865e-4685a7bf8ec2"
DESCRIPTOR = "e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae"


def guid_bytes(text: str) -> bytes:
    """A GUID as stored by UEFI: the first three fields little-endian."""
    hexes = text.split("-")
    a = int(hexes[0], 16).to_bytes(4, "little")
    b = int(hexes[1], 16).to_bytes(2, "little")
    c = int(hexes[2], 16).to_bytes(2, "little")
    return a + b + c + bytes.fromhex(hexes[3] + hexes[4])


def u16(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 2], "little")


def u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 4], "little")


def u64(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 8], "little")


def table_entries(image: bytes) -> list[tuple[bytes, bytes]]:
    """(GUID bytes, data) of every GUIDed table entry, last first."""
    footer = len(image) - 48
    assert image[footer:footer + 16] == guid_bytes(FOOTER), "no footer GUID"
    remaining = u16(image, footer - 2) - 18
    end = footer - 2
    out = []
    while remaining > 0:
        guid = image[end - 16:end]
        length = u16(image, end - 18)
        assert 18 <= length <= remaining
        out.append((guid, image[end - length:end - 18]))
        end -= length
        remaining -= length
    return out


def descriptor_offset(image: bytes) -> int:
    for guid, data in table_entries(image):
        if guid == guid_bytes(METADATA):
            return len(image) - u32(data, 0)
    raise AssertionError("no TDX metadata offset entry")


def sections(image: bytes) -> list[dict]:
    at = descriptor_offset(image)
    assert image[at:at + 4] == b"TDVF"
    count = u32(image, at + 12)
    assert u32(image, at + 4) == 16 + 32 * count and u32(image, at + 8) == 1
    out = []
    for i in range(count):
        e = at + 16 + 32 * i
        out.append({
            "data_offset": u32(image, e), "raw_size": u32(image, e + 4),
            "address": u64(image, e + 8), "memory_size": u64(image, e + 16),
            "type": u32(image, e + 24), "attributes": u32(image, e + 28),
        })
    return out


def mrtd(image: bytes, two_pass: bool = False) -> bytes:
    """MRTD after the host added every section page (and extended the
    MR.EXTEND ones) in descriptor order."""
    h = hashlib.sha384()

    def add(gpa: int) -> None:
        h.update(b"MEM.PAGE.ADD" + bytes(4) + gpa.to_bytes(8, "little") + bytes(104))

    def extend(section: dict, page: int) -> None:
        if not section["attributes"] & 1:
            return
        for offset in range(page * 4096, page * 4096 + 4096, 256):
            h.update(b"MR.EXTEND" + bytes(7) + (section["address"] + offset).to_bytes(8, "little") + bytes(104))
            start = section["data_offset"] + offset
            h.update(image[start:start + 256])

    for s in sections(image):
        pages = s["memory_size"] // 4096
        if two_pass:
            for p in range(pages):
                add(s["address"] + p * 4096)
            for p in range(pages):
                extend(s, p)
        else:
            for p in range(pages):
                add(s["address"] + p * 4096)
                extend(s, p)
    return h.digest()


def sha384(data: bytes) -> bytes:
    return hashlib.sha384(data).digest()
