"""Read one layer tar into a list of edits, staging file contents on the way.

This is the half of unpacking that needs only the layer itself: member
names, types, sizes, ids and link texts are checked here, and regular
file contents are copied to staging (cvmify/image/staging.py). What needs
the tree built by the lower layers (whiteouts, writing through symlinks,
hard link targets) is left to the replay in cvmify/image/unpack.py.

Splitting the two lets a source scan layers in whatever order its bytes
arrive (a `docker save` stream) and replay them in image order later.

The tar itself is parsed by cvmify/image/tar_reader.py (checksums,
numbers, extended headers and their size limits, member types).

Refused with UnsafeImageError, naming the member: absolute paths, '..',
names or link names over 4096 bytes, more than 1,000,000 members, ids or
mtimes out of range. Device nodes and FIFOs become DROPPED entries, which
the replay counts and summarises in one warning for the whole image.
"""

from __future__ import annotations

import logging
import stat
import tarfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from cvmify.errors import CvmifyError, UnsafeImageError
from cvmify.image import tar_reader
from cvmify.image.rootfs import Node, check_name, new_dir, normalize_member_path
from cvmify.image.staging import Staging
from cvmify.image.tar_reader import Member, TarReader
from cvmify.image.tarlimits import MAX_MEMBERS, MAX_NAME_SIZE, HeaderTooLarge, name_size

log = logging.getLogger(__name__)

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
MAX_ID = (1 << 32) - 1
MTIME_RANGE = (-(1 << 63), (1 << 63) - 1)
_DROPPED_TYPES = (tar_reader.CHARDEV, tar_reader.BLOCKDEV, tar_reader.FIFO)

# what a damaged stream can make the decompressors raise, and (for the
# outer tar of a `docker save` stream, cvmify/image/daemon_stream.py) tarfile
READ_ERRORS = (tarfile.TarError, HeaderTooLarge, EOFError, OSError, zlib.error, RecursionError)

# Entry kinds
ROOT = "root"  # metadata for "/" itself (node)
DIR = "dir"  # a directory (node: its metadata; merged into an existing one)
FILE = "file"  # a regular file, content staged (node)
SYMLINK = "symlink"  # (node)
HARDLINK = "hardlink"  # another name for the node at `link`
WHITEOUT_NAME = "whiteout"  # delete parts[-1] from the lower layers
OPAQUE_DIR = "opaque"  # empty directory parts[:-1] of the lower layers
DROPPED = "dropped"  # a device node or FIFO: not in the disk format, the guest has /dev


@dataclass
class Entry:
    kind: str
    member: str  # the member name as stored, for messages
    parts: list[str]  # normalized path components
    node: Node | None = None
    link: list[str] | None = None  # HARDLINK: the target's components


def scan_layer(stream: BinaryIO, staging: Staging, where: str) -> Iterator[Entry]:
    """Yield the edits of the layer tar `stream`, in archive order. Reads
    the tar once, front to back; the pack of this layer is closed when the
    generator finishes or is closed."""
    tar = TarReader(stream)
    count = 0
    try:
        for member in tar:
            count += 1
            if count > MAX_MEMBERS:
                raise UnsafeImageError(f"{where}: more than {MAX_MEMBERS} members")
            entry = _entry(tar, member, staging, f"{where}: member {member.name!r}", where)
            if entry is not None:
                yield entry
    finally:
        staging.end_layer()


def _entry(tar: TarReader, member: Member, staging: Staging, ctx: str,
           where: str) -> Entry | None:
    if name_size(member.name) > MAX_NAME_SIZE:
        raise UnsafeImageError(f"{where}: member name longer than {MAX_NAME_SIZE} bytes")
    if name_size(member.linkname) > MAX_NAME_SIZE:
        raise UnsafeImageError(f"{ctx}: link name longer than {MAX_NAME_SIZE} bytes")
    parts = normalize_member_path(member.name, ctx)
    if not parts:  # "./": the root directory itself
        return Entry(ROOT, member.name, parts, _meta(new_dir(), member, ctx)) if member.isdir() else None
    if parts[-1].startswith(WHITEOUT):
        return _whiteout(member, parts, ctx)
    if member.type in _DROPPED_TYPES:
        log.debug("%s: device node or FIFO dropped", ctx)
        return Entry(DROPPED, member.name, parts)
    if member.isdir():
        return Entry(DIR, member.name, parts, _meta(new_dir(), member, ctx))
    if member.isreg():
        node = _meta(Node(mode=stat.S_IFREG, size=member.size), member, ctx)
        if member.size > 0:
            staging.store(tar.content(), node, ctx)
        return Entry(FILE, member.name, parts, node)
    if member.type == tar_reader.SYMLINK:
        return Entry(SYMLINK, member.name, parts, _symlink(member, ctx))
    if member.type == tar_reader.HARDLINK:
        link = normalize_member_path(member.linkname, f"{ctx}: hard link")
        return Entry(HARDLINK, member.name, parts, link=link)
    raise AssertionError(f"{ctx}: tar_reader yielded type {member.type!r}")


def _whiteout(member: Member, parts: list[str], ctx: str) -> Entry | None:
    if parts[-1] == OPAQUE:
        return Entry(OPAQUE_DIR, member.name, parts)
    if parts[-1].startswith(OPAQUE[:8]):  # other ".wh..wh." names: aufs bookkeeping
        log.debug("%s: ignored", ctx)
        return None
    check_name(parts[-1][len(WHITEOUT):], ctx)
    return Entry(WHITEOUT_NAME, member.name, parts)


def _meta(node: Node, member: Member, ctx: str) -> Node:
    """Copy the member's permission bits, ids and mtime onto `node`."""
    if not (0 <= member.uid <= MAX_ID and 0 <= member.gid <= MAX_ID):
        raise UnsafeImageError(f"{ctx}: uid/gid out of range")
    mtime = int(member.mtime)
    if not MTIME_RANGE[0] <= mtime <= MTIME_RANGE[1]:
        raise UnsafeImageError(f"{ctx}: mtime out of range")
    node.mode = stat.S_IFMT(node.mode) | (member.mode & 0o7777)
    node.uid, node.gid, node.mtime = member.uid, member.gid, mtime
    return node


def _symlink(member: Member, ctx: str) -> Node:
    size = name_size(member.linkname)
    if not 1 <= size < MAX_NAME_SIZE or "\0" in member.linkname:
        raise UnsafeImageError(f"{ctx}: symlink target of {size} bytes refused")
    node = _meta(Node(mode=stat.S_IFLNK, target=member.linkname, size=size), member, ctx)
    node.mode = stat.S_IFLNK | 0o777
    return node


def layer_error(error: BaseException, where: str) -> CvmifyError | None:
    """What to report for `error`, raised while reading the layer `where`;
    None when it is not about the layer's bytes (a bug: let it through)."""
    if isinstance(error, CvmifyError):
        return prefixed(error, where)
    if isinstance(error, READ_ERRORS):
        return UnsafeImageError(f"{where}: unreadable layer: {error}")
    return None


def prefixed(error: CvmifyError, where: str) -> CvmifyError:
    """`error`, its message starting with `where`."""
    if error.message.startswith(where):
        return error
    return type(error)(f"{where}: {error.message}")
