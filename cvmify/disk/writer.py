"""Write a RootFS model as an encrypted, integrity-protected disk image.

`write_disk` plans the layout (plan.py), then streams the plaintext image
twice: first through the salt's keyed hash (salt.py: the salt commits to
the plaintext, so nonces are unique by construction), then through the
block encryptor (encryptor.py): inode table, directory records, symlink
targets, file contents. The ciphertext is
written from `data_offset` on; the tag table and the superblock are
written last, at the front. The disk root (SHA-384 over the superblock's
128 bytes and the tag table) is returned for the boot config and
bundle.json. Same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cvmify.disk.encryptor import BlockEncryptor
from cvmify.disk.keys import check_disk_key, image_key
from cvmify.disk.layout import (
    BLOCK_SIZE,
    SUPERBLOCK_SIZE,
    Superblock,
    data_offset_for,
    pack_dirent,
    tag_table_size,
)
from cvmify.disk.plan import DiskPlan, plan_disk
from cvmify.disk.salt import SaltHasher
from cvmify.errors import CvmifyError, CvmifyIOError
from cvmify.image.rootfs import Node, RootFS, open_content

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DiskInfo:
    root: bytes  # 48 bytes: SHA-384(superblock[0:128] || tag table)
    block_count: int
    size: int  # bytes of the image file
    inode_count: int = 0


def write_disk(rootfs: RootFS, out: Path, key: bytes,
               progress: Callable[[int], None] | None = None) -> DiskInfo:
    """Write `rootfs` to `out`. `progress` (optional) is called with each
    number of plaintext bytes encrypted. A failed write removes `out`."""
    check_disk_key(key)
    plan = plan_disk(rootfs)
    out = Path(out)
    try:
        hasher = SaltHasher(key, plan.block_count, plan.inode_table_offset, plan.inode_count)
        _emit(plan, hasher)
        info = _write(plan, out, key, hasher.salt(), progress)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    log.info("disk image %s: %d inodes, %d blocks, %d bytes, root %s",
             out, info.inode_count, info.block_count, info.size, info.root.hex())
    return info


def _write(plan: DiskPlan, out: Path, key: bytes, salt: bytes,
           progress: Callable[[int], None] | None) -> DiskInfo:
    aead = AESGCM(image_key(key, salt))
    block_count = plan.block_count
    data_offset = data_offset_for(block_count)
    superblock = Superblock(
        block_count=block_count,
        inode_table_offset=plan.inode_table_offset,
        inode_count=plan.inode_count,
        salt=salt,
    ).pack()
    try:
        with open(out, "wb") as f:
            f.seek(data_offset)
            encryptor = BlockEncryptor(f, aead, block_count, progress)
            _emit(plan, encryptor)
            tags = encryptor.finish()
            f.seek(0)
            f.write(superblock + bytes(BLOCK_SIZE - SUPERBLOCK_SIZE))
            f.write(tags + bytes(tag_table_size(block_count) - len(tags)))
            f.flush()
            os.fsync(f.fileno())
            size = f.seek(0, os.SEEK_END)
    except CvmifyError:
        raise
    except OSError as e:
        raise CvmifyIOError(f"{out}: {e}") from e
    root = hashlib.sha384(superblock + tags).digest()
    return DiskInfo(root=root, block_count=block_count, size=size, inode_count=plan.inode_count)


def _emit(plan: DiskPlan, encryptor: "BlockEncryptor | SaltHasher") -> None:
    """The logical image, in the order the plan placed it."""
    encryptor.pad_to(plan.inode_table_offset)
    for planned in plan.inodes:
        encryptor.write(planned.to_inode().pack())
    for planned in plan.inodes:
        if planned.node.is_dir:
            encryptor.pad_to(planned.data_offset)
            for entry in planned.entries:
                encryptor.write(pack_dirent(entry.inode, entry.name, entry.dtype))
    for planned in plan.inodes:
        if planned.node.is_symlink:
            encryptor.pad_to(planned.data_offset)
            encryptor.write(planned.target)
    for planned in plan.inodes:
        if planned.node.is_file and planned.size:
            encryptor.pad_to(planned.data_offset)
            _copy_blob(planned.node, planned.size, planned.path, encryptor)
    encryptor.pad_to(plan.content_size)


def _copy_blob(node: Node, size: int, where: str, encryptor: "BlockEncryptor | SaltHasher") -> None:
    assert node.blob is not None  # plan.py checked: size > 0 means a blob exists
    try:
        with open_content(node) as f:
            encryptor.copy_file(f, size, where)
    except OSError as e:
        raise CvmifyIOError(f"{where}: reading staged content: {e}") from e
