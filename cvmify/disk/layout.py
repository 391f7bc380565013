"""On-disk records of the cvmify disk image (docs/disk-format.md, version 1).

Typed dataclasses with pack/unpack for the superblock, an inode and a
directory record, plus the format constants. Packing and unpacking are
purely structural: the writer (writer.py) decides values, the reader
(reader.py) judges them. Keeping both directions here means the byte
layout is written down once on the Python side.
"""

from __future__ import annotations

import stat
import struct
from dataclasses import dataclass

MAGIC = b"CVMIFYFS"
VERSION = 1
BLOCK_SIZE = 4096
SUPERBLOCK_SIZE = 128  # bytes covered by the root; the rest of block 0 is zero
TAG_SIZE = 16
INODE_SIZE = 64
DIRENT_HEADER_SIZE = 8
TAG_TABLE_OFFSET = BLOCK_SIZE

MAX_BLOCK_COUNT = 1 << 28
MAX_INODE_COUNT = 1 << 24
MAX_NAME_LEN = 255
MAX_SYMLINK_LEN = 4095
ROOT_INODE = 1

DT_DIR = 4
DT_REG = 8
DT_LNK = 10

_SUPERBLOCK = struct.Struct("<8sIIQQQ32sQII40s")
_INODE = struct.Struct("<IIIIQQqIII12s")
_DIRENT = struct.Struct("<IHBB")
assert _SUPERBLOCK.size == SUPERBLOCK_SIZE
assert _INODE.size == INODE_SIZE
assert _DIRENT.size == DIRENT_HEADER_SIZE


def align_up(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def tag_table_size(block_count: int) -> int:
    """Bytes reserved for the tag table, padding included."""
    return align_up(block_count * TAG_SIZE, BLOCK_SIZE)


def data_offset_for(block_count: int) -> int:
    """File offset of the first ciphertext block."""
    return TAG_TABLE_OFFSET + tag_table_size(block_count)


def file_size_for(block_count: int) -> int:
    return data_offset_for(block_count) + block_count * BLOCK_SIZE


def dirent_size(name_len: int) -> int:
    """Bytes of one directory record, padding to 4 included."""
    return align_up(DIRENT_HEADER_SIZE + name_len, 4)


def dtype_for_mode(mode: int) -> int | None:
    """The dirent type of an inode mode, or None for a type we never store."""
    if stat.S_ISDIR(mode):
        return DT_DIR
    if stat.S_ISREG(mode):
        return DT_REG
    if stat.S_ISLNK(mode):
        return DT_LNK
    return None


@dataclass(frozen=True)
class Superblock:
    block_count: int
    inode_table_offset: int
    inode_count: int
    salt: bytes
    magic: bytes = MAGIC
    version: int = VERSION
    block_size: int = BLOCK_SIZE
    tag_table_offset: int = TAG_TABLE_OFFSET
    data_offset: int = 0  # 0 means "derive from block_count" when packing
    root_inode: int = ROOT_INODE
    reserved: bytes = bytes(40)

    def pack(self) -> bytes:
        data_offset = self.data_offset or data_offset_for(self.block_count)
        return _SUPERBLOCK.pack(
            self.magic,
            self.version,
            self.block_size,
            self.block_count,
            self.tag_table_offset,
            data_offset,
            self.salt,
            self.inode_table_offset,
            self.inode_count,
            self.root_inode,
            self.reserved,
        )

    @classmethod
    def unpack(cls, data: bytes) -> "Superblock":
        (magic, version, block_size, block_count, tag_table_offset, data_offset,
         salt, inode_table_offset, inode_count, root_inode, reserved) = _SUPERBLOCK.unpack_from(data, 0)
        return cls(
            block_count=block_count,
            inode_table_offset=inode_table_offset,
            inode_count=inode_count,
            salt=salt,
            magic=magic,
            version=version,
            block_size=block_size,
            tag_table_offset=tag_table_offset,
            data_offset=data_offset,
            root_inode=root_inode,
            reserved=reserved,
        )


@dataclass(frozen=True)
class Inode:
    mode: int
    uid: int
    gid: int
    nlink: int
    size: int
    data_offset: int
    mtime_sec: int
    mtime_nsec: int = 0
    parent: int = 0
    entry_count: int = 0
    reserved: bytes = bytes(12)

    def pack(self) -> bytes:
        return _INODE.pack(
            self.mode, self.uid, self.gid, self.nlink, self.size, self.data_offset,
            self.mtime_sec, self.mtime_nsec, self.parent, self.entry_count, self.reserved,
        )

    @classmethod
    def unpack(cls, data: bytes, offset: int = 0) -> "Inode":
        return cls(*_INODE.unpack_from(data, offset))

    @property
    def dtype(self) -> int | None:
        return dtype_for_mode(self.mode)


@dataclass(frozen=True)
class DirentHeader:
    """The fixed 8 bytes in front of each name in a directory's content."""

    inode: int
    name_len: int
    dtype: int
    reserved: int = 0

    def pack(self) -> bytes:
        return _DIRENT.pack(self.inode, self.name_len, self.dtype, self.reserved)

    @classmethod
    def unpack(cls, data: bytes, offset: int = 0) -> "DirentHeader":
        return cls(*_DIRENT.unpack_from(data, offset))


def pack_dirent(inode: int, name: bytes, dtype: int) -> bytes:
    """One directory record with its zero padding."""
    record = DirentHeader(inode, len(name), dtype).pack() + name
    return record + bytes(dirent_size(len(name)) - len(record))
