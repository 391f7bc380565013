"""On-disk records of a volume (docs/volume-format.md, version 1).

Typed dataclasses with pack/unpack for the header slot, a block pointer,
an inode and a directory record, plus the format constants. Packing and
unpacking are purely structural: the store (store.py) decides values and
judges them. The kernel's twin is kernel/fs/volfs_format.h.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

# Block size, name and symlink limits, dirent types and the header size of
# a directory record are the root disk's (docs/disk-format.md).
from cvmify.disk.layout import (  # noqa: F401 (re-exported)
    BLOCK_SIZE, DIRENT_HEADER_SIZE, DT_DIR, DT_LNK, DT_REG, MAX_NAME_LEN, MAX_SYMLINK_LEN,
    TAG_SIZE, dtype_for_mode,
)

MAGIC = b"CVMIFYVL"
VERSION = 1
HEADER_SIZE = 256
MAC_OFFSET = 208
MAC_SIZE = 48
ROOT_SIZE = 48
UUID_SIZE = 16
PTR_SIZE = 32
FANOUT = BLOCK_SIZE // PTR_SIZE  # 128 pointers per node
INODE_SIZE = 128
INODES_PER_BLOCK = BLOCK_SIZE // INODE_SIZE
MAX_DEPTH = 4
FIRST_DATA_BLOCK = 2  # blocks 0 and 1 are the header slots
MIN_BLOCK_COUNT = 256  # 1 MiB
MAX_BLOCK_COUNT = 1 << 28  # 1 TiB
MAX_INODES = 1 << 24
ROOT_INO = 1
FLAG_FRESH = 1
KNOWN_FLAGS = FLAG_FRESH
NONCE_SIZE = 12

_HEADER_BODY = struct.Struct("<8sII16sQQIIQ32sB7sQQ88s")
_PTR = struct.Struct("<I12s16s")
_INODE = struct.Struct("<IIIIQqqqIIII32sB7sQ16s")
_DIRENT = struct.Struct("<IHBB")
assert _HEADER_BODY.size == MAC_OFFSET
assert _PTR.size == PTR_SIZE
assert _INODE.size == INODE_SIZE
assert _DIRENT.size == DIRENT_HEADER_SIZE


def capacity(depth: int) -> int:
    """Bytes an object of this depth can hold."""
    return BLOCK_SIZE * FANOUT**depth


def depth_for(size: int) -> int:
    """The smallest depth that holds `size` bytes."""
    depth = 0
    while capacity(depth) < size:
        depth += 1
    return depth


def header_slot(generation: int) -> int:
    """Slot A (block 0) holds odd generations, slot B (block 1) even ones."""
    return 0 if generation % 2 == 1 else 1


@dataclass(frozen=True)
class BlockPtr:
    block: int = 0
    nonce: bytes = bytes(NONCE_SIZE)
    tag: bytes = bytes(TAG_SIZE)

    @property
    def is_hole(self) -> bool:
        return self.block == 0

    def pack(self) -> bytes:
        return _PTR.pack(self.block, self.nonce, self.tag)

    @classmethod
    def unpack(cls, data: bytes | memoryview, offset: int = 0) -> "BlockPtr":
        return cls(*_PTR.unpack_from(data, offset))


HOLE = BlockPtr()


@dataclass(frozen=True)
class Header:
    uuid: bytes
    block_count: int
    generation: int
    epoch: int
    inode_table_size: int
    inode_table_root: BlockPtr
    inode_table_depth: int
    used_blocks: int
    inode_count: int
    flags: int = 0
    magic: bytes = MAGIC
    version: int = VERSION
    block_size: int = BLOCK_SIZE
    reserved1: bytes = bytes(7)
    reserved2: bytes = bytes(88)

    def pack_body(self) -> bytes:
        """Bytes 0..207: what the MAC covers."""
        return _HEADER_BODY.pack(
            self.magic, self.version, self.block_size, self.uuid, self.block_count,
            self.generation, self.epoch, self.flags, self.inode_table_size,
            self.inode_table_root.pack(), self.inode_table_depth, self.reserved1,
            self.used_blocks, self.inode_count, self.reserved2,
        )

    @classmethod
    def unpack(cls, data: bytes) -> "Header":
        (magic, version, block_size, uuid, block_count, generation, epoch, flags,
         table_size, table_root, table_depth, reserved1, used, inodes,
         reserved2) = _HEADER_BODY.unpack_from(data, 0)
        return cls(
            uuid=uuid, block_count=block_count, generation=generation, epoch=epoch,
            inode_table_size=table_size, inode_table_root=BlockPtr.unpack(table_root),
            inode_table_depth=table_depth, used_blocks=used, inode_count=inodes, flags=flags,
            magic=magic, version=version, block_size=block_size, reserved1=reserved1,
            reserved2=reserved2,
        )

    def evolve(self, **changes) -> "Header":
        return replace(self, **changes)


@dataclass(frozen=True)
class Inode:
    mode: int = 0
    uid: int = 0
    gid: int = 0
    nlink: int = 0
    size: int = 0
    atime_sec: int = 0
    mtime_sec: int = 0
    ctime_sec: int = 0
    atime_nsec: int = 0
    mtime_nsec: int = 0
    ctime_nsec: int = 0
    parent: int = 0
    root: BlockPtr = HOLE
    depth: int = 0
    blocks: int = 0
    reserved1: bytes = bytes(7)
    reserved2: bytes = bytes(16)

    @property
    def is_free(self) -> bool:
        return self.mode == 0

    @property
    def dtype(self) -> int | None:
        return dtype_for_mode(self.mode)

    def pack(self) -> bytes:
        return _INODE.pack(
            self.mode, self.uid, self.gid, self.nlink, self.size, self.atime_sec,
            self.mtime_sec, self.ctime_sec, self.atime_nsec, self.mtime_nsec,
            self.ctime_nsec, self.parent, self.root.pack(), self.depth, self.reserved1,
            self.blocks, self.reserved2,
        )

    @classmethod
    def unpack(cls, data: bytes | memoryview, offset: int = 0) -> "Inode":
        (mode, uid, gid, nlink, size, at, mt, ct, atn, mtn, ctn, parent, root, depth,
         reserved1, blocks, reserved2) = _INODE.unpack_from(data, offset)
        return cls(mode, uid, gid, nlink, size, at, mt, ct, atn, mtn, ctn, parent,
                   BlockPtr.unpack(root), depth, blocks, reserved1, reserved2)

    def evolve(self, **changes) -> "Inode":
        return replace(self, **changes)


FREE_INODE = Inode()


@dataclass(frozen=True)
class Dirent:
    """One directory record: where it is in its block and what it says."""

    offset: int  # within the block
    rec_len: int
    inode: int
    name: bytes
    dtype: int


def dirent_space(name_len: int) -> int:
    """Bytes a record for a name of this length needs, padding included."""
    return (DIRENT_HEADER_SIZE + name_len + 3) // 4 * 4


def pack_dirent(inode: int, rec_len: int, name: bytes, dtype: int) -> bytes:
    record = _DIRENT.pack(inode, rec_len, len(name), dtype) + name
    return record + bytes(rec_len - len(record))


def unpack_dirent_header(data: bytes | memoryview, offset: int) -> tuple[int, int, int, int]:
    """(inode, rec_len, name_len, dtype) of the record at offset."""
    return _DIRENT.unpack_from(data, offset)


def empty_dir_block() -> bytes:
    """A directory block holding nothing: one unused record spanning it."""
    return pack_dirent(0, BLOCK_SIZE, b"", 0)
