"""td.fd: our own TDVF-format boot image (docs/tdx.md draws it).

Format facts, each checked against its source (docs/tdx.md lists them):
- the image is a multiple of 64 KiB and is mapped at 4 GiB minus its size
  (QEMU -bios; TDVF design guide);
- OVMF's GUIDed table: the footer GUID 96b582de-... sits 48 bytes before
  the end, preceded by a u16 total length (footer included); entries are
  read backwards, each `data, u16 length (data + 18), GUID` (QEMU
  hw/i386/pc_sysfw_ovmf.c);
- entry e47a6535-... holds a u32: the distance from the end of the image
  to the TDVF descriptor (QEMU hw/i386/tdvf.c); the 16 bytes before the
  descriptor hold GUID e9eaf9f3-... (TDVF design guide, for other tools);
- the descriptor: "TDVF", u32 length (= 16 + 32 * count exactly), u32
  version 1, u32 count (>= 2), then sections of DataOffset u32,
  RawDataSize u32, MemoryAddress u64, MemoryDataSize u64, Type u32,
  Attributes u32; addresses and memory sizes 4 KiB aligned; types BFV 0,
  CFV 1 (RawDataSize > 0), TD_HOB 2, TempMem 3 (RawDataSize 0), nothing
  else; exactly one TD_HOB; attribute bit 0 MR.EXTEND, bit 1 PAGE.AUG
  (never set here).

Our own rules on top (the kernel and the stub rely on them):
section 0 is the 4 KiB boot stub (BFV) at 4 GiB - 4 KiB and the last
4 KiB of the file; extended sections have RawDataSize == MemoryDataSize
(upstream QEMU adds MemoryDataSize bytes from the image); memory ranges
do not overlap.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from cvmify.errors import BadBundleError, CvmifyIOError, IntegrityError, UsageError
from cvmify.measure.kernel_image import kernel_image, load_segments

TD_FD_NAME = "td.fd"
PAGE = 0x1000
IMAGE_ALIGN = 0x10000
MAX_IMAGE_SIZE = 16 << 20
FOUR_GIB = 1 << 32

FOOTER_GUID = uuid.UUID("96b582de-1fb2-45f7-baea-a366c55a082d")
METADATA_OFFSET_GUID = uuid.UUID("e47a6535-984a-4798-865e-4685a7bf8ec2")
DESCRIPTOR_GUID = uuid.UUID("e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae")
SIGNATURE = b"TDVF"
VERSION = 1

TYPE_BFV, TYPE_CFV, TYPE_TD_HOB, TYPE_TEMP_MEM = 0, 1, 2, 3
TYPE_NAMES = {TYPE_BFV: "BFV", TYPE_CFV: "CFV", TYPE_TD_HOB: "TD_HOB", TYPE_TEMP_MEM: "TempMem"}
ATTR_MR_EXTEND = 1 << 0
ATTR_PAGE_AUG = 1 << 1

_HEADER = struct.Struct("<4sIII")
_SECTION = struct.Struct("<IIQQII")
MAX_SECTIONS = 8

# The boot stub (kernel/tdboot/layout.h; these numbers must match).
BFV_SIZE = 0x1000
BFV_BASE = FOUR_GIB - BFV_SIZE
BFV_DATA_OFFSET = 0xC00
DESCRIPTOR_OFFSET = 0xC10
RESET_OFFSET = 0xFF0
KERNEL_ENTRY = 0x100000
KERNEL_VBASE = 0xFFFFFFFF80000000
STUB_SECTION = ".cvmify.tdboot"
ENTRY_SYMBOL = "td_start32"

# Where the builder puts the rest (any 4 KiB-aligned choice inside RAM
# works: the kernel reads the addresses from the measured descriptor).
# Low memory below the VGA hole, so the kernel's page allocator (RAM from
# 1 MiB up) never meets them.
TD_HOB_ADDRESS = 0x10000
TD_HOB_SIZE = 0x4000
CONFIG_ADDRESS = 0x20000
CONFIG_END = 0xA0000


def _align(value: int, to: int = PAGE) -> int:
    return (value + to - 1) // to * to


@dataclass(frozen=True)
class TdvfSection:
    data_offset: int
    raw_size: int
    address: int
    memory_size: int
    type: int
    attributes: int

    @property
    def extended(self) -> bool:
        return bool(self.attributes & ATTR_MR_EXTEND)

    @property
    def type_name(self) -> str:
        return TYPE_NAMES.get(self.type, str(self.type))

    def pack(self) -> bytes:
        return _SECTION.pack(self.data_offset, self.raw_size, self.address, self.memory_size,
                             self.type, self.attributes)

    def to_json(self) -> dict:
        return {"type": self.type_name, "data_offset": self.data_offset, "raw_size": self.raw_size,
                "address": self.address, "memory_size": self.memory_size,
                "mr_extend": self.extended}


@dataclass(frozen=True)
class TdImage:
    data: bytes
    sections: tuple[TdvfSection, ...]
    descriptor_offset: int  # in the file

    def section_bytes(self, section: TdvfSection) -> bytes:
        return self.data[section.data_offset:section.data_offset + section.raw_size]

    def find(self, type_: int) -> list[TdvfSection]:
        return [s for s in self.sections if s.type == type_]


# -- the kernel ELF (PLATFORM=tdx build) -----------------------------------


@dataclass(frozen=True)
class TdKernel:
    image: bytes  # loaded bytes from TD_KERNEL_ENTRY (kernel_image rule)
    bss_start: int  # physical, page aligned: first byte after the image pages
    bss_end: int  # physical, page aligned
    stub: bytes  # the 4 KiB BFV stub


def load_td_kernel(path: Path) -> TdKernel:
    """The TDX kernel's loaded image, its .bss range and the embedded stub."""
    image = kernel_image(path)
    segments = load_segments(path)
    start = min(s.paddr for s in segments)
    end = max(s.paddr + s.memsz for s in segments)
    if start != KERNEL_ENTRY:
        raise UsageError(f"{path}: loads at {start:#x}, a TDX kernel must load at {KERNEL_ENTRY:#x}")
    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            section = elf.get_section_by_name(STUB_SECTION)
            symtab = elf.get_section_by_name(".symtab")
            stub = section.data() if section is not None else None
            entry = None
            if symtab is not None:
                found = symtab.get_symbol_by_name(ENTRY_SYMBOL)
                entry = found[0]["st_value"] if found else None
    except OSError as e:
        raise CvmifyIOError(f"{path}: {e}") from e
    except ELFError as e:
        raise BadBundleError(f"{path}: not a valid ELF file: {e}") from e
    if stub is None:
        raise UsageError(f"{path}: no {STUB_SECTION} section: not a TDX kernel (make -C kernel PLATFORM=tdx)")
    if entry != KERNEL_VBASE + KERNEL_ENTRY:
        raise UsageError(f"{path}: {ENTRY_SYMBOL} is not the first byte of the image")
    check_stub(stub, str(path))
    return TdKernel(image=image, bss_start=_align(start + len(image)), bss_end=_align(end), stub=stub)


def check_stub(stub: bytes, where: str) -> None:
    if len(stub) != BFV_SIZE:
        raise UsageError(f"{where}: boot stub is {len(stub)} bytes, expected {BFV_SIZE}")
    if any(stub[BFV_DATA_OFFSET:RESET_OFFSET]):
        raise UsageError(f"{where}: boot stub writes into the descriptor area")
    if not any(stub[RESET_OFFSET:]):
        raise UsageError(f"{where}: boot stub has no reset vector")


# -- building --------------------------------------------------------------


def _guided_table(descriptor_distance: int) -> bytes:
    """The GUIDed table, ending where the footer GUID ends (48 bytes before
    the end of the image): one entry, then the footer."""
    entry = struct.pack("<I", descriptor_distance)
    entry += struct.pack("<H", len(entry) + 18) + METADATA_OFFSET_GUID.bytes_le
    total = len(entry) + 18
    return entry + struct.pack("<H", total) + FOOTER_GUID.bytes_le


def build_td_fd(kernel: TdKernel, config_bin: bytes) -> bytes:
    """td.fd for this kernel and config.bin (docs/tdx.md)."""
    kernel_size = _align(len(kernel.image))
    config_size = _align(len(config_bin))
    if CONFIG_ADDRESS + config_size > CONFIG_END:
        raise UsageError(f"config.bin is {len(config_bin)} bytes; td.fd holds at most "
                         f"{CONFIG_END - CONFIG_ADDRESS} (docs/tdx.md)")
    if kernel.bss_start < KERNEL_ENTRY + kernel_size:
        raise UsageError("TDX kernel: .bss overlaps the loaded image")
    payload = kernel.image.ljust(kernel_size, b"\0") + config_bin.ljust(config_size, b"\0")
    size = _align(len(payload) + BFV_SIZE, IMAGE_ALIGN)
    if size > MAX_IMAGE_SIZE:
        raise UsageError(f"td.fd would be {size} bytes (limit {MAX_IMAGE_SIZE})")
    sections = [
        TdvfSection(size - BFV_SIZE, BFV_SIZE, BFV_BASE, BFV_SIZE, TYPE_BFV, ATTR_MR_EXTEND),
        TdvfSection(0, kernel_size, KERNEL_ENTRY, kernel_size, TYPE_BFV, ATTR_MR_EXTEND),
        TdvfSection(kernel_size, config_size, CONFIG_ADDRESS, config_size, TYPE_CFV, ATTR_MR_EXTEND),
        TdvfSection(0, 0, kernel.bss_start, kernel.bss_end - kernel.bss_start, TYPE_TEMP_MEM, 0),
        TdvfSection(0, 0, TD_HOB_ADDRESS, TD_HOB_SIZE, TYPE_TD_HOB, 0),
    ]
    descriptor = _HEADER.pack(SIGNATURE, _HEADER.size + _SECTION.size * len(sections), VERSION,
                              len(sections))
    descriptor += b"".join(s.pack() for s in sections)
    bfv = bytearray(kernel.stub)
    bfv[DESCRIPTOR_OFFSET - 16:DESCRIPTOR_OFFSET] = DESCRIPTOR_GUID.bytes_le
    bfv[DESCRIPTOR_OFFSET:DESCRIPTOR_OFFSET + len(descriptor)] = descriptor
    table = _guided_table(BFV_SIZE - DESCRIPTOR_OFFSET)
    table_end = BFV_SIZE - 32
    bfv[table_end - len(table):table_end] = table
    if DESCRIPTOR_OFFSET + len(descriptor) > table_end - len(table):
        raise UsageError("td.fd: descriptor and GUIDed table overlap")
    image = payload.ljust(size - BFV_SIZE, b"\0") + bytes(bfv)
    parse_td_fd(image)  # what we write must pass our own reader
    return image


# -- reading (untrusted input: every field checked) ------------------------


def _fail(message: str) -> None:
    raise IntegrityError(f"td.fd: {message}")


def _guided_entries(data: bytes) -> dict[uuid.UUID, bytes]:
    size = len(data)
    footer_at = size - 48
    if uuid.UUID(bytes_le=data[footer_at:footer_at + 16]) != FOOTER_GUID:
        _fail("no OVMF GUIDed table footer 48 bytes before the end")
    (total,) = struct.unpack_from("<H", data, footer_at - 2)
    if total < 18 or total - 18 > footer_at - 2:
        _fail(f"GUIDed table length {total} out of range")
    entries: dict[uuid.UUID, bytes] = {}
    end = footer_at - 2  # entries end here and are read backwards
    remaining = total - 18
    while remaining >= 18:
        guid = uuid.UUID(bytes_le=data[end - 16:end])
        (length,) = struct.unpack_from("<H", data, end - 18)
        if length < 18 or length > remaining:
            _fail(f"GUIDed table entry {guid} has length {length}")
        entries.setdefault(guid, data[end - length:end - 18])
        end -= length
        remaining -= length
    if remaining:
        _fail("GUIDed table has trailing bytes")
    return entries


def parse_td_fd(data: bytes) -> TdImage:
    """Check td.fd against the format facts and our rules; IntegrityError
    names the first problem."""
    size = len(data)
    if size == 0 or size % IMAGE_ALIGN or size > MAX_IMAGE_SIZE:
        _fail(f"size {size} is not a non-zero multiple of 64 KiB up to {MAX_IMAGE_SIZE}")
    entry = _guided_entries(data).get(METADATA_OFFSET_GUID)
    if entry is None or len(entry) != 4:
        _fail("no TDX metadata offset entry (e47a6535-...) of 4 bytes")
    (distance,) = struct.unpack("<I", entry)
    offset = size - distance
    if distance > size or offset < 16 or offset + _HEADER.size > size:
        _fail(f"descriptor offset {distance} out of range")
    if uuid.UUID(bytes_le=data[offset - 16:offset]) != DESCRIPTOR_GUID:
        _fail("no descriptor GUID (e9eaf9f3-...) before the descriptor")
    signature, length, version, count = _HEADER.unpack_from(data, offset)
    if signature != SIGNATURE or version != VERSION:
        _fail("bad descriptor signature or version")
    if not 2 <= count <= MAX_SECTIONS or length != _HEADER.size + _SECTION.size * count:
        _fail(f"descriptor has {count} sections and length {length}")
    if offset + length > size:
        _fail("descriptor runs past the end of the image")
    sections = tuple(
        TdvfSection(*_SECTION.unpack_from(data, offset + _HEADER.size + i * _SECTION.size))
        for i in range(count)
    )
    for index, section in enumerate(sections):
        _check_section(index, section, size)
    _check_layout(sections, size, offset, length)
    return TdImage(data=data, sections=sections, descriptor_offset=offset)


def _check_section(index: int, s: TdvfSection, image_size: int) -> None:
    where = f"section {index} ({s.type_name})"
    if s.type not in TYPE_NAMES:
        _fail(f"{where}: type {s.type} is not one upstream QEMU accepts")
    if s.attributes & ~ATTR_MR_EXTEND:
        _fail(f"{where}: attributes {s.attributes:#x} (only MR.EXTEND is allowed; never PAGE.AUG)")
    if s.address % PAGE or s.memory_size % PAGE or s.memory_size == 0:
        _fail(f"{where}: address or memory size not 4 KiB aligned")
    if s.address + s.memory_size > FOUR_GIB:
        _fail(f"{where}: memory range ends above 4 GiB")
    if s.raw_size > s.memory_size:
        _fail(f"{where}: RawDataSize larger than MemoryDataSize")
    if s.type in (TYPE_BFV, TYPE_CFV):
        if s.raw_size == 0 or s.data_offset + s.raw_size > image_size:
            _fail(f"{where}: data outside the image")
        if s.extended and s.raw_size != s.memory_size:
            _fail(f"{where}: extended section with RawDataSize != MemoryDataSize")
    elif s.raw_size != 0 or s.extended:
        _fail(f"{where}: must carry no data and not be extended")


def _check_layout(sections: tuple[TdvfSection, ...], size: int, offset: int, length: int) -> None:
    bfv = sections[0]
    if (bfv.type, bfv.address, bfv.memory_size, bfv.data_offset) != (TYPE_BFV, BFV_BASE, BFV_SIZE, size - BFV_SIZE):
        _fail("section 0 must be the 4 KiB boot stub at 4 GiB - 4 KiB, the last 4 KiB of the file")
    if not bfv.extended:
        _fail("the boot stub (reset vector) must be measured")
    if not (bfv.data_offset <= offset and offset + length <= size):
        _fail("the descriptor must lie inside the measured boot stub")
    if sum(1 for s in sections if s.type == TYPE_TD_HOB) != 1:
        _fail("exactly one TD_HOB section is required")
    ranges = sorted((s.address, s.address + s.memory_size) for s in sections)
    for (_, end), (start, _) in zip(ranges, ranges[1:]):
        if start < end:
            _fail(f"sections overlap in memory at {start:#x}")


def read_td_fd(path: Path) -> TdImage:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CvmifyIOError(f"{path}: {e.strerror}") from e
    return parse_td_fd(data)


def config_of(image: TdImage) -> bytes:
    """The config.bin carried in the CFV section, without its page padding
    (its header's total_size says how long it is)."""
    cfv = image.find(TYPE_CFV)
    if len(cfv) != 1:
        _fail("expected one CFV section (the boot config)")
    raw = image.section_bytes(cfv[0])
    if len(raw) < 16 or raw[:8] != b"CVMCFG01":
        _fail("the CFV section does not hold a boot config")
    (total,) = struct.unpack_from("<I", raw, 8)
    if not 16 <= total <= len(raw) or any(raw[total:]):
        _fail("the boot config's size does not match its section")
    return raw[:total]
