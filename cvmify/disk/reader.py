"""Read and verify a cvmify disk image (the Python twin of kernel/fs/cvmfs).

Trust order, as docs/disk-format.md "Reader obligations" asks:
1. the superblock rules and the file size are checked on open;
2. the disk root is computed and, when an expected root is given (from
   bundle.json), compared with it; the tag table is kept in memory;
3. every block is decrypted and authenticated before any byte of it is
   used; a bad block raises IntegrityError naming it;
4. inodes and directory records are bound-checked as they are parsed.
Without an expected root the reader proves only that the image is
self-consistent under `key`, not that it is the image that was measured.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cvmify.disk.keys import block_nonce, image_key
from cvmify.disk.layout import (
    BLOCK_SIZE,
    DIRENT_HEADER_SIZE,
    DT_DIR,
    DT_LNK,
    DT_REG,
    INODE_SIZE,
    MAGIC,
    MAX_BLOCK_COUNT,
    MAX_INODE_COUNT,
    MAX_NAME_LEN,
    MAX_SYMLINK_LEN,
    ROOT_INODE,
    SUPERBLOCK_SIZE,
    TAG_SIZE,
    TAG_TABLE_OFFSET,
    VERSION,
    DirentHeader,
    Inode,
    Superblock,
    data_offset_for,
    dirent_size,
    file_size_for,
)
from cvmify.disk.verify import VerifyReport, verify_disk
from cvmify.errors import CvmifyIOError, IntegrityError, UsageError

CACHE_BLOCKS = 256
MAX_SYMLINK_HOPS = 40


@dataclass(frozen=True)
class DirRecord:
    name: bytes
    inode: int
    dtype: int


@dataclass(frozen=True)
class DiskEntry:
    """One name in the image, as `walk()` and `lookup()` report it."""

    path: str
    inode: int
    mode: int
    uid: int
    gid: int
    size: int
    mtime: int
    nlink: int
    target: str | None = None  # symlinks only


def decode_name(name: bytes) -> str:
    return name.decode("utf-8", "surrogateescape")


class DiskReader:
    def __init__(self, path: Path | str, key: bytes | None, expected_root: bytes | None = None):
        """key None: only the superblock, tag table and root can be read (a
        bundle whose key is with the key broker); blocks need the key."""
        self.path = Path(path)
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        try:
            self._file = open(self.path, "rb")
        except OSError as e:
            raise CvmifyIOError(f"{self.path}: {e}") from e
        try:
            self._open(key, expected_root)
        except BaseException:
            self._file.close()
            raise

    # -- life cycle -----------------------------------------------------

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "DiskReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- step 1 and 2: superblock, tag table, root ----------------------

    def _open(self, key: bytes, expected_root: bytes | None) -> None:
        head = self._pread(0, BLOCK_SIZE)
        if len(head) != BLOCK_SIZE:
            raise IntegrityError(f"{self.path}: too short for a superblock")
        sb = Superblock.unpack(head)
        self._check_superblock(sb, head)
        size = os.fstat(self._file.fileno()).st_size
        if size != file_size_for(sb.block_count):
            raise IntegrityError(f"{self.path}: file is {size} bytes, the superblock says "
                                 f"{file_size_for(sb.block_count)}")
        table_end = sb.block_count * TAG_SIZE
        table = self._pread(TAG_TABLE_OFFSET, sb.data_offset - TAG_TABLE_OFFSET)
        if any(table[table_end:]):
            raise IntegrityError("tag table padding is not zero")
        self.superblock = sb
        self.block_count = sb.block_count
        self.inode_count = sb.inode_count
        self.logical_size = sb.block_count * BLOCK_SIZE
        self._tags = table[:table_end]
        self.root = hashlib.sha384(head[:SUPERBLOCK_SIZE] + self._tags).digest()
        if expected_root is not None and not hmac.compare_digest(self.root, expected_root):
            raise IntegrityError(f"disk root mismatch: image has {self.root.hex()}, "
                                 f"expected {expected_root.hex()}")
        self._aead = AESGCM(image_key(key, sb.salt)) if key is not None else None

    def _check_superblock(self, sb: Superblock, head: bytes) -> None:
        rules = [
            (sb.magic == MAGIC, "bad magic"),
            (sb.version == VERSION, f"unsupported version {sb.version}"),
            (sb.block_size == BLOCK_SIZE, f"block size {sb.block_size}"),
            (1 <= sb.block_count <= MAX_BLOCK_COUNT, f"block count {sb.block_count} out of range"),
            (sb.tag_table_offset == TAG_TABLE_OFFSET, f"tag table offset {sb.tag_table_offset}"),
            (sb.data_offset == data_offset_for(sb.block_count), f"data offset {sb.data_offset}"),
            (1 <= sb.inode_count <= MAX_INODE_COUNT, f"inode count {sb.inode_count} out of range"),
            (sb.inode_table_offset % INODE_SIZE == 0, "inode table offset not a multiple of 64"),
            (sb.inode_table_offset + INODE_SIZE * sb.inode_count <= sb.block_count * BLOCK_SIZE,
             "inode table lies outside the image"),
            (sb.root_inode == ROOT_INODE, f"root inode {sb.root_inode}"),
            (not any(sb.reserved), "reserved superblock bytes are not zero"),
            (not any(head[SUPERBLOCK_SIZE:]), "superblock padding is not zero"),
        ]
        for ok, problem in rules:
            if not ok:
                raise IntegrityError(f"{self.path}: superblock: {problem}")

    # -- step 3: blocks --------------------------------------------------

    def read_block(self, index: int) -> bytes:
        """Block `index`, decrypted and authenticated."""
        cached = self._cache.get(index)
        if cached is not None:
            self._cache.move_to_end(index)
            return cached
        block = self.decrypt_block(index)
        self._cache[index] = block
        if len(self._cache) > CACHE_BLOCKS:
            self._cache.popitem(last=False)
        return block

    def decrypt_block(self, index: int) -> bytes:
        """Block `index`, decrypted and authenticated, bypassing the cache."""
        if not 0 <= index < self.block_count:
            raise IntegrityError(f"block {index} is outside the image ({self.block_count} blocks)")
        if self._aead is None:
            raise UsageError(f"{self.path}: no disk key to read blocks with")
        cipher = self._pread(self.superblock.data_offset + index * BLOCK_SIZE, BLOCK_SIZE)
        tag = self._tags[index * TAG_SIZE:(index + 1) * TAG_SIZE]
        try:
            return self._aead.decrypt(block_nonce(index), cipher + tag, None)
        except InvalidTag:
            raise IntegrityError(f"block {index}: authentication failed (tampered, moved or wrong key)") from None

    def read_logical(self, offset: int, size: int) -> bytes:
        """`size` bytes of the plaintext image from logical `offset`."""
        if offset < 0 or size < 0 or offset + size > self.logical_size:
            raise IntegrityError(f"range {offset}+{size} lies outside the image")
        parts = []
        while size:
            index, within = divmod(offset, BLOCK_SIZE)
            take = min(size, BLOCK_SIZE - within)
            parts.append(self.read_block(index)[within:within + take])
            offset += take
            size -= take
        return b"".join(parts)

    def _pread(self, offset: int, size: int) -> bytes:
        try:
            return os.pread(self._file.fileno(), size, offset)
        except OSError as e:
            raise CvmifyIOError(f"{self.path}: {e}") from e

    # -- step 4: inodes and directories ------------------------------------

    def inode(self, number: int) -> Inode:
        """Inode `number`, with every per-inode rule checked."""
        if not 1 <= number <= self.inode_count:
            raise IntegrityError(f"inode {number} out of range 1..{self.inode_count}")
        at = self.superblock.inode_table_offset + INODE_SIZE * (number - 1)
        ino = Inode.unpack(self.read_logical(at, INODE_SIZE))
        problem = self._inode_problem(number, ino)
        if problem:
            raise IntegrityError(f"inode {number}: {problem}")
        return ino

    def _inode_problem(self, number: int, ino: Inode) -> str | None:
        kind = ino.dtype
        if kind is None:
            return f"unsupported type in mode {ino.mode:o}"
        if any(ino.reserved):
            return "reserved bytes are not zero"
        if ino.mtime_nsec >= 1_000_000_000:
            return f"mtime_nsec {ino.mtime_nsec} out of range"
        if ino.nlink < 1:
            return "nlink is 0"
        if ino.data_offset + ino.size > self.logical_size:
            return f"content {ino.data_offset}+{ino.size} lies outside the image"
        if kind == DT_DIR:
            if not 1 <= ino.parent <= self.inode_count:
                return f"parent {ino.parent} out of range"
            if ino.entry_count * DIRENT_HEADER_SIZE > ino.size:
                return f"{ino.entry_count} entries cannot fit in {ino.size} bytes"
            if number == ROOT_INODE and ino.parent != ROOT_INODE:
                return "the root's parent is not itself"
        else:
            if ino.parent != 0 or ino.entry_count != 0:
                return "parent/entry_count set on a non-directory"
            if number == ROOT_INODE:
                return "the root is not a directory"
        if kind == DT_LNK and not 1 <= ino.size <= MAX_SYMLINK_LEN:
            return f"symlink length {ino.size} out of range"
        return None

    def entries(self, number: int, ino: Inode | None = None) -> list[DirRecord]:
        """The records of directory `number`, every record rule checked."""
        if ino is None:
            ino = self.inode(number)
        if ino.dtype != DT_DIR:
            raise IntegrityError(f"inode {number} is not a directory")
        data = self.read_logical(ino.data_offset, ino.size)
        records: list[DirRecord] = []
        pos = 0
        for k in range(ino.entry_count):
            record, pos = self._parse_record(data, pos, f"directory inode {number}, entry {k}")
            if records and not records[-1].name < record.name:
                raise IntegrityError(f"directory inode {number}: names not sorted or not unique at entry {k}")
            records.append(record)
        if pos != len(data):
            raise IntegrityError(f"directory inode {number}: {len(data) - pos} bytes after the last entry")
        return records

    def _parse_record(self, data: bytes, pos: int, where: str) -> tuple[DirRecord, int]:
        if pos + DIRENT_HEADER_SIZE > len(data):
            raise IntegrityError(f"{where}: record header runs past the directory")
        head = DirentHeader.unpack(data, pos)
        if not 1 <= head.name_len <= MAX_NAME_LEN:
            raise IntegrityError(f"{where}: name length {head.name_len}")
        end = pos + dirent_size(head.name_len)
        if end > len(data):
            raise IntegrityError(f"{where}: record runs past the directory")
        name = data[pos + DIRENT_HEADER_SIZE:pos + DIRENT_HEADER_SIZE + head.name_len]
        if any(data[pos + DIRENT_HEADER_SIZE + head.name_len:end]) or head.reserved:
            raise IntegrityError(f"{where}: padding or reserved byte is not zero")
        if head.dtype not in (DT_DIR, DT_REG, DT_LNK):
            raise IntegrityError(f"{where}: type {head.dtype}")
        if not 1 <= head.inode <= self.inode_count:
            raise IntegrityError(f"{where}: inode {head.inode} out of range")
        if b"/" in name or b"\0" in name or name in (b".", b".."):
            raise IntegrityError(f"{where}: invalid name {name!r}")
        return DirRecord(name, head.inode, head.dtype), end

    def child_inode(self, record: DirRecord, where: str) -> Inode:
        """The inode a record names, checked to have the record's type."""
        ino = self.inode(record.inode)
        if ino.dtype != record.dtype:
            raise IntegrityError(f"{where}: entry type {record.dtype} but inode {record.inode} "
                                 f"has mode {ino.mode:o}")
        return ino

    def symlink_target(self, ino: Inode) -> bytes:
        return self.read_logical(ino.data_offset, ino.size)

    # -- paths ---------------------------------------------------------

    def lookup(self, path: str, follow_final: bool = False) -> DiskEntry | None:
        """The entry at an absolute path, or None. Symlinks in the middle of
        the path are followed inside the image ('..' stops at '/')."""
        found = self._resolve(path, follow_final)
        if found is None:
            return None
        canonical, number, ino = found
        return self._entry(canonical, number, ino)

    def read_file(self, path: str) -> bytes:
        """Content of a regular file, following symlinks. UsageError if absent."""
        found = self._resolve(path, follow_final=True)
        if found is None or found[2].dtype != DT_REG:
            raise UsageError(f"{path}: no such regular file in the disk image")
        ino = found[2]
        return self.read_logical(ino.data_offset, ino.size)

    def walk(self) -> Iterator[DiskEntry]:
        """Every name, depth-first, in stored (sorted) order; '/' first."""
        stack: list[tuple[str, int, Inode]] = [("/", ROOT_INODE, self.inode(ROOT_INODE))]
        seen_dirs: set[int] = set()
        while stack:
            path, number, ino = stack.pop()
            yield self._entry(path, number, ino)
            if ino.dtype != DT_DIR:
                continue
            if number in seen_dirs:
                raise IntegrityError(f"{path}: directory inode {number} reached twice")
            seen_dirs.add(number)
            prefix = "" if path == "/" else path
            children = []
            for record in self.entries(number, ino):
                child_path = prefix + "/" + decode_name(record.name)
                child = self.child_inode(record, child_path)
                if child.dtype == DT_DIR and child.parent != number:
                    raise IntegrityError(f"{child_path}: parent is inode {child.parent}, expected {number}")
                children.append((child_path, record.inode, child))
            stack.extend(reversed(children))  # so the first name comes out next

    def _entry(self, path: str, number: int, ino: Inode) -> DiskEntry:
        target = decode_name(self.symlink_target(ino)) if ino.dtype == DT_LNK else None
        return DiskEntry(path=path, inode=number, mode=ino.mode, uid=ino.uid, gid=ino.gid,
                         size=ino.size, mtime=ino.mtime_sec, nlink=ino.nlink, target=target)

    def _resolve(self, path: str, follow_final: bool) -> tuple[str, int, Inode] | None:
        hops = 0
        stack: list[tuple[str, int, Inode]] = [("", ROOT_INODE, self.inode(ROOT_INODE))]
        pending = [p.encode("utf-8", "surrogateescape") for p in path.split("/") if p not in ("", ".")]
        while pending:
            part = pending.pop(0)
            if part == b"..":
                if len(stack) > 1:
                    stack.pop()
                continue
            prefix, number, ino = stack[-1]
            if ino.dtype != DT_DIR:
                return None
            record = next((r for r in self.entries(number, ino) if r.name == part), None)
            if record is None:
                return None
            child_path = prefix + "/" + decode_name(part)
            child = self.child_inode(record, child_path)
            if child.dtype == DT_LNK and (pending or follow_final):
                hops += 1
                if hops > MAX_SYMLINK_HOPS:
                    return None
                target = self.symlink_target(child)
                if target.startswith(b"/"):
                    stack = stack[:1]
                pending = [p for p in target.split(b"/") if p not in (b"", b".")] + pending
                continue
            stack.append((child_path, record.inode, child))
        canonical, number, ino = stack[-1]
        return canonical or "/", number, ino

    def verify(self) -> VerifyReport:
        """Authenticate every block, then walk and check the whole tree."""
        return verify_disk(self)
