"""Full verification of a disk image: every block, every inode reached.

Backs `cvmify inspect --verify` (via DiskReader.verify). Opening the
reader already checked the superblock, the padding and the root; here
every block is authenticated (so any flipped ciphertext or tag byte is
found even where no file points), then the tree is walked from the root
checking what the reader checks lazily plus the global rules: each
directory is reached exactly once, a child directory's parent is the
directory naming it, and link counts match the names.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cvmify.disk.layout import DT_DIR, DT_LNK, DT_REG, ROOT_INODE
from cvmify.errors import IntegrityError

if TYPE_CHECKING:
    from cvmify.disk.reader import DiskReader


@dataclass(frozen=True)
class VerifyReport:
    root: bytes
    blocks: int
    inodes: int  # inodes reached from the root
    files: int
    dirs: int
    symlinks: int
    bytes: int  # sum of regular file sizes (hard links counted once)



def verify_disk(reader: "DiskReader") -> VerifyReport:
    for index in range(reader.block_count):
        reader.decrypt_block(index)

    names: Counter[int] = Counter()  # directory entries naming each inode
    kinds: dict[int, int] = {ROOT_INODE: DT_DIR}
    file_bytes = 0
    pending = [ROOT_INODE]
    reached_dirs = {ROOT_INODE}
    while pending:
        number = pending.pop()
        ino = reader.inode(number)
        subdirs = 0
        for record in reader.entries(number, ino):
            where = f"directory inode {number}, entry {record.name!r}"
            child = reader.child_inode(record, where)
            names[record.inode] += 1
            if record.inode in kinds:
                if record.dtype == DT_DIR:
                    raise IntegrityError(f"{where}: directory inode {record.inode} reached twice")
                continue  # another name of a file or symlink already checked
            kinds[record.inode] = record.dtype
            if record.dtype == DT_DIR:
                if child.parent != number:
                    raise IntegrityError(f"{where}: parent is {child.parent}, expected {number}")
                subdirs += 1
                reached_dirs.add(record.inode)
                pending.append(record.inode)
            elif record.dtype == DT_LNK:
                if b"\0" in reader.symlink_target(child):
                    raise IntegrityError(f"{where}: NUL in symlink target")
            else:
                file_bytes += child.size
        if ino.nlink != 2 + subdirs:
            raise IntegrityError(f"directory inode {number}: nlink {ino.nlink}, expected {2 + subdirs}")

    for number, kind in kinds.items():
        if kind != DT_DIR and reader.inode(number).nlink != names[number]:
            raise IntegrityError(f"inode {number}: nlink {reader.inode(number).nlink}, "
                                 f"but {names[number]} names")

    counts = Counter(kinds.values())
    return VerifyReport(
        root=reader.root,
        blocks=reader.block_count,
        inodes=len(kinds),
        files=counts[DT_REG],
        dirs=counts[DT_DIR],
        symlinks=counts[DT_LNK],
        bytes=file_bytes,
    )
