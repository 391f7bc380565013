"""Layout planning: where every inode and every byte goes, before writing.

The writer computes the whole layout from the RootFS model first (sizes
are known), then streams the plaintext in one pass (writer.py). Planning
is also where the model is checked against the format: names, symlink
targets, id ranges, and that each blob still has the size the unpacker
recorded.

Inode numbers: root = 1, then depth-first in byte-wise sorted order
(RootFS.iter_nodes); a hard-linked node keeps the number of its first name.
Logical layout (docs/disk-format.md, "Writer layout"): inode table at 0,
then directory records, then symlink targets, then file contents in inode
order, files of at least one block starting on a block boundary.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from cvmify.disk.layout import (
    BLOCK_SIZE,
    INODE_SIZE,
    MAX_BLOCK_COUNT,
    MAX_INODE_COUNT,
    MAX_SYMLINK_LEN,
    ROOT_INODE,
    Inode,
    align_up,
    dirent_size,
    dtype_for_mode,
)
from cvmify.errors import IntegrityError, UnsafeImageError, UnsupportedImageError
from cvmify.image.rootfs import Node, RootFS, check_name

log = logging.getLogger(__name__)

U32_MAX = (1 << 32) - 1
I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1


def encode_name(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


@dataclass
class Entry:
    """One directory record to write."""

    name: bytes
    inode: int
    dtype: int


@dataclass
class PlannedInode:
    number: int
    path: str  # first name, for error messages
    node: Node
    nlink: int = 0
    parent: int = 0  # directories only
    size: int = 0
    data_offset: int = 0
    entries: list[Entry] = field(default_factory=list)  # directories only
    target: bytes = b""  # symlinks only

    def to_inode(self) -> Inode:
        return Inode(
            mode=self.node.mode,
            uid=self.node.uid,
            gid=self.node.gid,
            nlink=self.nlink,
            size=self.size,
            data_offset=self.data_offset,
            mtime_sec=self.node.mtime,
            parent=self.parent,
            entry_count=len(self.entries),
        )


@dataclass
class DiskPlan:
    inodes: list[PlannedInode]  # index i holds inode number i + 1
    content_size: int  # logical bytes in use; the last block is zero-padded
    block_count: int

    @property
    def inode_table_offset(self) -> int:
        return 0

    @property
    def inode_count(self) -> int:
        return len(self.inodes)


def plan_disk(rootfs: RootFS) -> DiskPlan:
    inodes = _number_inodes(rootfs)
    for planned in inodes:
        _check_node(planned)
    _fill_directories(inodes)
    content_size = _place_content(inodes)
    block_count = max(1, align_up(content_size, BLOCK_SIZE) // BLOCK_SIZE)
    if len(inodes) > MAX_INODE_COUNT:
        raise UnsupportedImageError(f"image has {len(inodes)} inodes; the disk format allows {MAX_INODE_COUNT}")
    if block_count > MAX_BLOCK_COUNT:
        raise UnsupportedImageError(f"image needs {block_count} blocks; the disk format allows {MAX_BLOCK_COUNT}")
    return DiskPlan(inodes=inodes, content_size=content_size, block_count=block_count)


def _number_inodes(rootfs: RootFS) -> list[PlannedInode]:
    """Assign numbers in iter_nodes order and count names per node."""
    by_node: dict[int, PlannedInode] = {}
    inodes: list[PlannedInode] = []
    for path, node in rootfs.iter_nodes():
        if dtype_for_mode(node.mode) is None:
            log.warning("%s: skipping special file (mode %o); the kernel provides /dev", path, node.mode)
            continue
        planned = by_node.get(id(node))
        if planned is None:
            planned = PlannedInode(number=len(inodes) + 1, path=path, node=node)
            by_node[id(node)] = planned
            inodes.append(planned)
        elif node.is_dir:
            raise UnsafeImageError(f"{path}: directory {planned.path} appears under two names")
        planned.nlink += 1
    if not inodes or inodes[0].node is not rootfs.root or not rootfs.root.is_dir:
        raise UnsafeImageError("the image root is not a directory")
    return inodes


def _check_node(planned: PlannedInode) -> None:
    node, where = planned.node, planned.path
    if not 0 <= node.mode <= 0xFFFF:
        raise UnsafeImageError(f"{where}: invalid mode {node.mode:o}")
    if not (0 <= node.uid <= U32_MAX and 0 <= node.gid <= U32_MAX):
        raise UnsafeImageError(f"{where}: uid/gid {node.uid}/{node.gid} out of range")
    if not I64_MIN <= node.mtime <= I64_MAX:
        raise UnsafeImageError(f"{where}: mtime {node.mtime} out of range")
    if node.is_symlink:
        target = encode_name(node.target or "")
        if not 1 <= len(target) <= MAX_SYMLINK_LEN or b"\0" in target:
            raise UnsafeImageError(f"{where}: symlink target must be 1..{MAX_SYMLINK_LEN} bytes without NUL")
        planned.target = target
        planned.size = len(target)
    elif node.is_file:
        planned.size = _blob_size(node, where)


def _blob_size(node: Node, where: str) -> int:
    """The recorded size, after checking the staged blob still has it."""
    if node.size < 0:
        raise UnsafeImageError(f"{where}: negative size")
    if node.blob is None:
        if node.size != 0:
            raise IntegrityError(f"{where}: {node.size} bytes recorded but no staged content")
        return 0
    try:
        actual = os.stat(node.blob).st_size
    except OSError as e:
        raise IntegrityError(f"{where}: staged content is gone: {e}") from e
    if node.blob_offset is not None:  # a slice of a pack shared by several files
        if node.blob_offset < 0 or actual < node.blob_offset + node.size:
            raise IntegrityError(f"{where}: staged pack {node.blob} is too short for this file")
    elif actual != node.size:
        raise IntegrityError(f"{where}: staged content changed size ({node.size} -> {actual} bytes)")
    return node.size


def _fill_directories(inodes: list[PlannedInode]) -> None:
    """Directory records, parents and directory link counts."""
    number_of = {id(p.node): p.number for p in inodes}
    for planned in inodes:
        node = planned.node
        if not node.is_dir:
            continue
        if planned.number == ROOT_INODE:
            planned.parent = ROOT_INODE
        subdirs = 0
        for name in sorted(node.children or {}, key=encode_name):
            child = (node.children or {})[name]
            dtype = dtype_for_mode(child.mode)
            if dtype is None:
                continue
            check_name(name, planned.path)
            number = number_of[id(child)]
            planned.entries.append(Entry(encode_name(name), number, dtype))
            if child.is_dir:
                subdirs += 1
                inodes[number - 1].parent = planned.number
        planned.nlink = 2 + subdirs
        planned.size = sum(dirent_size(len(e.name)) for e in planned.entries)


def _place_content(inodes: list[PlannedInode]) -> int:
    """Give every inode its logical data offset; return the bytes in use."""
    cursor = INODE_SIZE * len(inodes)
    for kind in ("dir", "symlink", "file"):
        for planned in inodes:
            node = planned.node
            if kind == "dir" and node.is_dir or kind == "symlink" and node.is_symlink:
                planned.data_offset = cursor
                cursor += planned.size
            elif kind == "file" and node.is_file:
                if planned.size >= BLOCK_SIZE:
                    cursor = align_up(cursor, BLOCK_SIZE)
                planned.data_offset = cursor
                cursor += planned.size
    return cursor
