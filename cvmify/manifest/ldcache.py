"""Parse glibc's /etc/ld.so.cache (the "glibc-ld.so.cache1.1" format).

Layout (all little-endian), written from the format's published facts:
- optionally an old-format block first: magic "ld.so-1.7.0" (12 bytes with
  padding), u32 nlibs, then nlibs 12-byte entries; the new block follows,
  8-byte aligned;
- new header, 48 bytes: magic "glibc-ld.so.cache" + version "1.1" (20
  bytes), u32 nlibs, u32 len_strings, u8 flags, 3 pad bytes,
  u32 extension_offset, 3 x u32 unused;
- nlibs entries of 24 bytes: i32 flags, u32 key, u32 value, u32 osversion,
  u64 hwcap. key (soname) and value (path) are offsets of NUL-terminated
  strings, counted from the start of the new header.

The cache comes from the image, so every offset is checked; a damaged cache
is ignored (with a warning) and the default directories are used instead,
which is what ld.so itself does.
"""

from __future__ import annotations

import logging
import struct

log = logging.getLogger(__name__)

OLD_MAGIC = b"ld.so-1.7.0"
NEW_MAGIC = b"glibc-ld.so.cache1.1"
NEW_HEADER = struct.Struct("<20sIIB3xI12x")
NEW_ENTRY = struct.Struct("<iIIIQ")
OLD_ENTRY_SIZE = 12

FLAG_ELF_LIBC6 = 0x0003  # type byte: glibc ELF library
FLAG_X8664_LIB64 = 0x0300  # required byte: x86-64
X86_64_FLAGS = FLAG_ELF_LIBC6 | FLAG_X8664_LIB64
HWCAP_EXTENSION = 1 << 62  # entry lives in a glibc-hwcaps subdirectory


class CacheFormatError(ValueError):
    pass


def parse_ld_cache(data: bytes) -> dict[str, str]:
    """soname -> path for x86-64 glibc libraries. Baseline entries win over
    glibc-hwcaps ones; among equals the first entry wins (the cache is sorted
    by preference). Raises CacheFormatError on a malformed cache."""
    base = _find_new_header(data)
    magic, nlibs, len_strings, _flags, _ext = NEW_HEADER.unpack_from(data, base)
    entries_start = base + NEW_HEADER.size
    if nlibs > (len(data) - entries_start) // NEW_ENTRY.size:
        raise CacheFormatError("entry count larger than the file")
    baseline: dict[str, str] = {}
    hwcaps: dict[str, str] = {}
    for i in range(nlibs):
        flags, key, value, _osv, hwcap = NEW_ENTRY.unpack_from(data, entries_start + i * NEW_ENTRY.size)
        if flags != X86_64_FLAGS:
            continue
        soname = _string_at(data, base, key)
        path = _string_at(data, base, value)
        table = hwcaps if hwcap & HWCAP_EXTENSION else baseline
        table.setdefault(soname, path)
    for soname, path in hwcaps.items():
        baseline.setdefault(soname, path)
    return baseline


def load_ld_cache(data: bytes | None) -> dict[str, str]:
    """Like parse_ld_cache, but an absent or broken cache gives {}."""
    if not data:
        return {}
    try:
        return parse_ld_cache(data)
    except CacheFormatError as e:
        log.warning("ignoring /etc/ld.so.cache in the image: %s", e)
        return {}


def _find_new_header(data: bytes) -> int:
    if data.startswith(NEW_MAGIC):
        offset = 0
    elif data.startswith(OLD_MAGIC):
        if len(data) < 16:
            raise CacheFormatError("truncated old-format header")
        (old_count,) = struct.unpack_from("<I", data, 12)
        offset = 16 + old_count * OLD_ENTRY_SIZE
        offset = (offset + 7) & ~7
    else:
        raise CacheFormatError("unknown magic")
    if offset + NEW_HEADER.size > len(data) or data[offset : offset + len(NEW_MAGIC)] != NEW_MAGIC:
        raise CacheFormatError("no glibc-ld.so.cache1.1 block")
    return offset


def _string_at(data: bytes, base: int, offset: int) -> str:
    start = base + offset
    if offset == 0 or start >= len(data):
        raise CacheFormatError(f"string offset {offset} out of range")
    end = data.find(b"\0", start)
    if end < 0:
        raise CacheFormatError(f"unterminated string at {offset}")
    try:
        return data[start:end].decode("utf-8")
    except UnicodeDecodeError as e:
        raise CacheFormatError(f"string at {offset} is not UTF-8") from e
