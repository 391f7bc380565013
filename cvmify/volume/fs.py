"""The file system inside a volume: mkfs, directories, files by path.

On top of store.py's objects: a directory's content is blocks of records
(docs/volume-format.md, "Directory content"), a symlink's content is its
target. Used by `cvmify volume create` (mkfs), `inspect` (walk) and the
tests, which read what a guest wrote and write what a guest must read.
"""

from __future__ import annotations

import os
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from cvmify.errors import CvmifyIOError, IntegrityError, UsageError
from cvmify.volume.keys import VolumeKeys, nonce, volume_root
from cvmify.volume.layout import (
    BLOCK_SIZE, DIRENT_HEADER_SIZE, DT_DIR, DT_LNK, DT_REG, FIRST_DATA_BLOCK, FLAG_FRESH,
    INODE_SIZE, MAX_BLOCK_COUNT, MAX_NAME_LEN, MAX_SYMLINK_LEN, MIN_BLOCK_COUNT, ROOT_INO,
    UUID_SIZE, BlockPtr, Dirent, Header, Inode, dirent_space, header_slot, pack_dirent,
    unpack_dirent_header,
)
from cvmify.volume.store import StateId, Volume

MAX_SYMLINK_HOPS = 40


def _now() -> tuple[int, int]:
    ns = time.time_ns()
    return ns // 10**9, ns % 10**9


def mkfs(path: Path, key: bytes, block_count: int, uid: int = 0, gid: int = 0,
         mode: int = 0o755, uuid: bytes | None = None) -> StateId:
    """A new, empty volume file (its root directory only), flagged FRESH.
    Writes to a file that must not exist yet. Returns the first state."""
    if not MIN_BLOCK_COUNT <= block_count <= MAX_BLOCK_COUNT:
        raise UsageError(f"a volume has {MIN_BLOCK_COUNT}..{MAX_BLOCK_COUNT} blocks of 4 KiB, not {block_count}")
    uuid = uuid or secrets.token_bytes(UUID_SIZE)
    keys = VolumeKeys.derive(key, uuid)
    sec, nsec = _now()
    root = Inode(mode=stat.S_IFDIR | mode, uid=uid, gid=gid, nlink=2, atime_sec=sec,
                 mtime_sec=sec, ctime_sec=sec, atime_nsec=nsec, mtime_nsec=nsec,
                 ctime_nsec=nsec, parent=ROOT_INO)
    table = bytearray(BLOCK_SIZE)
    table[ROOT_INO * INODE_SIZE:(ROOT_INO + 1) * INODE_SIZE] = root.pack()
    # Creation is the only writer without a state before it: epoch 1 is new.
    table_nonce = nonce(1, 0)
    cipher, tag = keys.encrypt(table_nonce, bytes(table))
    header = Header(uuid=uuid, block_count=block_count, generation=1, epoch=1,
                    inode_table_size=BLOCK_SIZE,
                    inode_table_root=BlockPtr(FIRST_DATA_BLOCK, table_nonce, tag),
                    inode_table_depth=0, used_blocks=1, inode_count=1, flags=FLAG_FRESH)
    body = header.pack_body()
    slot = body + keys.mac(body)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as e:
        raise CvmifyIOError(f"{path}: {e}") from e
    try:
        os.ftruncate(fd, block_count * BLOCK_SIZE)
        os.pwrite(fd, cipher, FIRST_DATA_BLOCK * BLOCK_SIZE)
        os.pwrite(fd, slot, header_slot(1) * BLOCK_SIZE)
        os.fsync(fd)
    except OSError as e:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise CvmifyIOError(f"{path}: {e}") from e
    os.close(fd)
    return StateId(1, volume_root(slot))


# -- directories ---------------------------------------------------------------------


def parse_dir_block(data: bytes, where: str) -> list[Dirent]:
    """The used records of one directory block, every rule checked."""
    out, at = [], 0
    while at < BLOCK_SIZE:
        if BLOCK_SIZE - at < DIRENT_HEADER_SIZE:
            raise IntegrityError(f"{where}: a record crosses the block end")
        ino, rec_len, name_len, dtype = unpack_dirent_header(data, at)
        if rec_len < DIRENT_HEADER_SIZE or rec_len % 4 or at + rec_len > BLOCK_SIZE:
            raise IntegrityError(f"{where}: bad record length {rec_len} at {at}")
        if ino:
            name = bytes(data[at + DIRENT_HEADER_SIZE:at + DIRENT_HEADER_SIZE + name_len])
            if (not 1 <= name_len <= MAX_NAME_LEN or DIRENT_HEADER_SIZE + name_len > rec_len
                    or b"/" in name or b"\0" in name or name in (b".", b"..")
                    or dtype not in (DT_DIR, DT_REG, DT_LNK)):
                raise IntegrityError(f"{where}: bad record at {at}")
            out.append(Dirent(at, rec_len, ino, name, dtype))
        elif name_len:
            raise IntegrityError(f"{where}: unused record with a name at {at}")
        at += rec_len
    return out


def pack_dir(entries: list[tuple[bytes, int, int]]) -> bytes:
    """Directory content holding (name, inode, dtype) records, densely."""
    blocks, current, used = [], [], 0
    for name, ino, dtype in entries:
        need = dirent_space(len(name))
        if used + need > BLOCK_SIZE:
            blocks.append(current)
            current, used = [], 0
        current.append((name, ino, dtype, need))
        used += need
    if current:
        blocks.append(current)
    out = bytearray()
    for records in blocks:
        block = bytearray()
        for k, (name, ino, dtype, need) in enumerate(records):
            rec_len = BLOCK_SIZE - len(block) if k == len(records) - 1 else need
            block += pack_dirent(ino, rec_len, name, dtype)
        out += block
    return bytes(out)


@dataclass(frozen=True)
class Entry:
    """One name in the volume, as walk() reports it."""

    path: str
    ino: int
    inode: Inode
    target: str | None = None


class VolumeFS:
    """Paths over an open Volume."""

    def __init__(self, volume: Volume):
        self.vol = volume

    # -- reading ---------------------------------------------------------------------

    def entries(self, dir_ino: int) -> list[Dirent]:
        inode = self.vol.inode(dir_ino)
        if inode.dtype != DT_DIR:
            raise UsageError(f"inode {dir_ino} is not a directory")
        obj = self.vol.obj(dir_ino)
        out, seen = [], set()
        for b in range(inode.size // BLOCK_SIZE):
            for d in parse_dir_block(self.vol.read_block(obj, b), f"{self.vol.path}: directory {dir_ino}"):
                if d.name in seen:
                    raise IntegrityError(f"{self.vol.path}: directory {dir_ino} names {d.name!r} twice")
                seen.add(d.name)
                child = self.vol.inode(d.inode)
                if child.dtype != d.dtype:
                    raise IntegrityError(f"{self.vol.path}: directory {dir_ino}: type of {d.name!r} differs from its inode")
                out.append(d)
        return out

    def lookup(self, path: str, follow: bool = True) -> int:
        """The inode at an absolute path; UsageError if it is missing."""
        if not path.startswith("/"):
            raise UsageError(f"{path}: not an absolute path")
        ino, hops = ROOT_INO, 0
        todo = list(reversed(path.split("/")))
        while todo:
            part = todo.pop()
            if part in ("", "."):
                continue
            if part == "..":
                ino = self.vol.inode(ino).parent
                continue
            found = [d for d in self.entries(ino) if d.name == os.fsencode(part)]
            if not found:
                raise UsageError(f"{path}: no such file in the volume")
            child = found[0].inode
            last = all(p in ("", ".") for p in todo)
            if found[0].dtype == DT_LNK and (follow or not last):
                hops += 1
                if hops > MAX_SYMLINK_HOPS:
                    raise UsageError(f"{path}: too many symlinks")
                target = self.read_target(child)
                if target.startswith("/"):
                    ino = ROOT_INO
                todo.extend(reversed(target.split("/")))
                continue
            ino = child
        return ino

    def read_target(self, ino: int) -> str:
        return os.fsdecode(self.vol.read_all(self.vol.obj(ino)))

    def read_file(self, path: str) -> bytes:
        ino = self.lookup(path)
        if self.vol.inode(ino).dtype != DT_REG:
            raise UsageError(f"{path}: not a regular file")
        return self.vol.read_all(self.vol.obj(ino))

    def listdir(self, path: str) -> list[str]:
        return sorted(os.fsdecode(d.name) for d in self.entries(self.lookup(path)))

    def walk(self, path: str = "/"):
        """Every name under path, depth first, parents before children."""
        ino = self.lookup(path)
        todo = [(path.rstrip("/") or "/", ino)]
        while todo:
            dir_path, dir_ino = todo.pop()
            for d in sorted(self.entries(dir_ino), key=lambda d: d.name, reverse=True):
                child_path = f"{dir_path.rstrip('/')}/{os.fsdecode(d.name)}"
                inode = self.vol.inode(d.inode)
                target = self.read_target(d.inode) if d.dtype == DT_LNK else None
                yield Entry(child_path, d.inode, inode, target)
                if d.dtype == DT_DIR:
                    todo.append((child_path, d.inode))

    # -- writing (tests and tools; the guest is the real writer) --------------------------

    def _split(self, path: str) -> tuple[int, bytes]:
        parent, _, name = path.rstrip("/").rpartition("/")
        if not name or len(name.encode()) > MAX_NAME_LEN:
            raise UsageError(f"{path}: bad name")
        return self.lookup(parent or "/"), os.fsencode(name)

    def _link(self, dir_ino: int, name: bytes, ino: int, dtype: int) -> None:
        records = [(d.name, d.inode, d.dtype) for d in self.entries(dir_ino)]
        if any(r[0] == name for r in records):
            raise UsageError(f"{os.fsdecode(name)}: exists")
        records.append((name, ino, dtype))
        self._write_dir(dir_ino, records)

    def _write_dir(self, dir_ino: int, records: list[tuple[bytes, int, int]]) -> None:
        content = pack_dir(records)
        self.vol.write_content(self.vol.obj(dir_ino), content)
        sec, nsec = _now()
        inode = self.vol.inode(dir_ino)
        self.vol.set_inode(dir_ino, inode.evolve(size=len(content), mtime_sec=sec, mtime_nsec=nsec,
                                                 ctime_sec=sec, ctime_nsec=nsec))

    def _new(self, mode: int, uid: int, gid: int, nlink: int, parent: int = 0) -> int:
        sec, nsec = _now()
        return self.vol.alloc_inode(Inode(mode=mode, uid=uid, gid=gid, nlink=nlink, atime_sec=sec,
                                          mtime_sec=sec, ctime_sec=sec, atime_nsec=nsec,
                                          mtime_nsec=nsec, ctime_nsec=nsec, parent=parent))

    def write_file(self, path: str, data: bytes, mode: int = 0o644, uid: int = 0, gid: int = 0) -> int:
        dir_ino, name = self._split(path)
        existing = [d for d in self.entries(dir_ino) if d.name == name]
        if existing:
            ino = existing[0].inode
            if existing[0].dtype != DT_REG:
                raise UsageError(f"{path}: not a regular file")
        else:
            ino = self._new(stat.S_IFREG | mode, uid, gid, 1)
            self._link(dir_ino, name, ino, DT_REG)
        self.vol.write_content(self.vol.obj(ino), data)
        self.vol.set_inode(ino, self.vol.inode(ino).evolve(size=len(data)))
        return ino

    def mkdir(self, path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> int:
        dir_ino, name = self._split(path)
        ino = self._new(stat.S_IFDIR | mode, uid, gid, 2, parent=dir_ino)
        self._link(dir_ino, name, ino, DT_DIR)
        parent = self.vol.inode(dir_ino)
        self.vol.set_inode(dir_ino, parent.evolve(nlink=parent.nlink + 1))
        return ino

    def symlink(self, target: str, path: str) -> int:
        raw = os.fsencode(target)
        if not 1 <= len(raw) <= MAX_SYMLINK_LEN:
            raise UsageError(f"{target}: bad symlink target")
        dir_ino, name = self._split(path)
        ino = self._new(stat.S_IFLNK | 0o777, 0, 0, 1)
        self._link(dir_ino, name, ino, DT_LNK)
        self.vol.write_content(self.vol.obj(ino), raw)
        self.vol.set_inode(ino, self.vol.inode(ino).evolve(size=len(raw)))
        return ino

    def link(self, existing: str, path: str) -> None:
        """A hard link: a second name for the file at existing."""
        ino = self.lookup(existing, follow=False)
        inode = self.vol.inode(ino)
        if inode.dtype == DT_DIR:
            raise UsageError(f"{existing}: a directory cannot have a hard link")
        dir_ino, name = self._split(path)
        self._link(dir_ino, name, ino, inode.dtype)
        self.vol.set_inode(ino, inode.evolve(nlink=inode.nlink + 1))

    def unlink(self, path: str) -> None:
        dir_ino, name = self._split(path)
        records = [(d.name, d.inode, d.dtype) for d in self.entries(dir_ino)]
        found = [r for r in records if r[0] == name]
        if not found or found[0][2] == DT_DIR:
            raise UsageError(f"{path}: no such file")
        self._write_dir(dir_ino, [r for r in records if r[0] != name])
        ino = found[0][1]
        inode = self.vol.inode(ino)
        if inode.nlink > 1:
            self.vol.set_inode(ino, inode.evolve(nlink=inode.nlink - 1))
        else:
            self.vol.free_inode(ino)
