"""Apply an image's layers, in order, to a RootFS model (cvmify/image/rootfs.py).

Nothing from a layer becomes a host path: names only index the model, and
file contents go to blobs in `staging` named by a counter. Each layer tar is
streamed once (tarfile 'r|'), and verified when its end is reached.

Docker / OCI layer semantics:
- '.wh.NAME' deletes NAME from the lower layers; '.wh..wh..opq' empties its
  directory of everything from the lower layers. Neither touches entries
  of its own layer.
- A directory over a directory merges (the new metadata wins). Anything
  else replaces what was there, a whole subtree included.
- Missing parent directories are created 0755 root:root.
- Hard links name the same Node; symlinks keep their text as stored.
- Device nodes and FIFOs are dropped with a warning: the guest kernel
  provides /dev itself, and the disk format has no such inodes.

Refused with UnsafeImageError, naming layer and member: absolute paths,
'..', a parent path that is a symlink in the model (writing through it), a
hard link to a missing path or through a symlink, names or link names over
4096 bytes, pax headers over 1 MiB, more than 1,000,000 members.
"""

from __future__ import annotations

import logging
import stat
import tarfile
import zlib
from pathlib import Path
from typing import BinaryIO

from cvmify.errors import CvmifyError, CvmifyIOError, IntegrityError, UnsafeImageError
from cvmify.image.digest import CHUNK_SIZE
from cvmify.image.progress import progress_bar
from cvmify.image.rootfs import Node, RootFS, check_name, new_dir, normalize_member_path
from cvmify.image.source import Image, LayerRef
from cvmify.image.tarlimits import MAX_MEMBERS, MAX_NAME_SIZE, HeaderTooLarge, LimitedTarInfo, name_size

log = logging.getLogger(__name__)

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
MAX_ID = (1 << 32) - 1
MTIME_RANGE = (-(1 << 63), (1 << 63) - 1)


class LayerApplier:
    """Builds the model; one instance for the whole image."""

    def __init__(self, staging: Path):
        self.rootfs = RootFS(root=new_dir(), staging=staging)
        self.staging = staging
        self.blob_count = 0
        self.links: dict[Node, int] = {}  # file node -> names it has; 0 frees its blob
        self.where = ""
        self.added: set[tuple[str, ...]] = set()  # paths written by the current layer

    # -- one layer ------------------------------------------------------------

    def apply(self, stream: BinaryIO, where: str) -> None:
        self.where = where
        self.added = set()
        tar = tarfile.open(fileobj=stream, mode="r|", tarinfo=LimitedTarInfo,
                           encoding="utf-8", errors="surrogateescape")
        count = 0
        while True:
            member = tar.next()
            if member is None:
                break
            tar.members.clear()  # stream mode: do not keep every header in memory
            count += 1
            if count > MAX_MEMBERS:
                raise UnsafeImageError(f"{where}: more than {MAX_MEMBERS} members")
            self.apply_member(tar, member)

    def _ctx(self, member: tarfile.TarInfo) -> str:
        return f"{self.where}: member {member.name!r}"

    def apply_member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        ctx = self._ctx(member)
        if name_size(member.name) > MAX_NAME_SIZE:
            raise UnsafeImageError(f"{self.where}: member name longer than {MAX_NAME_SIZE} bytes")
        if name_size(member.linkname) > MAX_NAME_SIZE:
            raise UnsafeImageError(f"{ctx}: link name longer than {MAX_NAME_SIZE} bytes")
        parts = normalize_member_path(member.name, ctx)
        if not parts:  # "./": the root directory itself
            if member.isdir():
                self._set_meta(self.rootfs.root, member, ctx)
            return
        if parts[-1].startswith(WHITEOUT):
            self._whiteout(parts, ctx)
            return
        if member.ischr() or member.isblk() or member.isfifo():
            log.warning("%s: device node or FIFO dropped (the guest provides /dev)", ctx)
            return
        if member.isdir():
            self._add_dir(parts, member, ctx)
        elif member.isreg():
            self._replace(parts, self._new_file(tar, member, ctx), ctx)
        elif member.issym():
            self._replace(parts, self._new_symlink(member, ctx), ctx)
        elif member.islnk():
            self._replace(parts, self._link_target(member, ctx), ctx)
        else:
            raise UnsafeImageError(f"{ctx}: unsupported member type {member.type!r}")

    # -- node construction ----------------------------------------------------

    def _set_meta(self, node: Node, member: tarfile.TarInfo, ctx: str) -> None:
        if not (0 <= member.uid <= MAX_ID and 0 <= member.gid <= MAX_ID):
            raise UnsafeImageError(f"{ctx}: uid/gid out of range")
        mtime = int(member.mtime)
        if not MTIME_RANGE[0] <= mtime <= MTIME_RANGE[1]:
            raise UnsafeImageError(f"{ctx}: mtime out of range")
        node.mode = stat.S_IFMT(node.mode) | (member.mode & 0o7777)
        node.uid, node.gid, node.mtime = member.uid, member.gid, mtime

    def _new_file(self, tar: tarfile.TarFile, member: tarfile.TarInfo, ctx: str) -> Node:
        node = Node(mode=stat.S_IFREG, size=member.size)
        self._set_meta(node, member, ctx)
        if member.size > 0:
            node.blob = self._write_blob(tar.extractfile(member), ctx)
        self.links[node] = 0
        return node

    def _write_blob(self, content: BinaryIO, ctx: str) -> Path:
        self.blob_count += 1
        path = self.staging / f"{self.blob_count:08d}"
        try:
            with open(path, "xb") as out:  # "x": never overwrite anything
                while chunk := content.read(CHUNK_SIZE):
                    out.write(chunk)
        except OSError as e:
            raise CvmifyIOError(f"{ctx}: cannot write {path}: {e}") from None
        return path

    def _new_symlink(self, member: tarfile.TarInfo, ctx: str) -> Node:
        size = name_size(member.linkname)
        if not 1 <= size < MAX_NAME_SIZE or "\0" in member.linkname:
            raise UnsafeImageError(f"{ctx}: symlink target of {size} bytes refused")
        node = Node(mode=stat.S_IFLNK, target=member.linkname, size=size)
        self._set_meta(node, member, ctx)
        node.mode = stat.S_IFLNK | 0o777
        return node

    def _link_target(self, member: tarfile.TarInfo, ctx: str) -> Node:
        """The existing Node a hard link names; never through a symlink."""
        parts = normalize_member_path(member.linkname, f"{ctx}: hard link")
        node = self.rootfs.root
        for i, part in enumerate(parts):
            if node.is_symlink:
                raise UnsafeImageError(f"{ctx}: hard link through symlink /{'/'.join(parts[:i])}")
            child = node.children.get(part) if node.is_dir and node.children is not None else None
            if child is None:
                raise UnsafeImageError(f"{ctx}: hard link to missing /{'/'.join(parts)}")
            node = child
        if node.is_dir:
            raise UnsafeImageError(f"{ctx}: hard link to directory /{'/'.join(parts)}")
        return node

    # -- tree edits -----------------------------------------------------------

    def _parent(self, parts: list[str], ctx: str, create: bool) -> Node | None:
        """The directory holding parts[-1], walked without following symlinks.
        Missing directories are created (0755 root) when `create`, else None."""
        node = self.rootfs.root
        for i, part in enumerate(parts[:-1]):
            here = "/" + "/".join(parts[: i + 1])
            child = node.children.get(part)
            if child is None:
                if not create:
                    return None
                child = new_dir(0o755)
                child.parent = node
                node.children[part] = child
                self.added.add(tuple(parts[: i + 1]))
            elif child.is_symlink:
                raise UnsafeImageError(f"{ctx}: writes through symlink {here}")
            elif not child.is_dir:
                raise UnsafeImageError(f"{ctx}: parent {here} is not a directory")
            node = child
        return node

    def _add_dir(self, parts: list[str], member: tarfile.TarInfo, ctx: str) -> None:
        parent = self._parent(parts, ctx, create=True)
        existing = parent.children.get(parts[-1])
        if existing is not None and existing.is_dir:
            self._set_meta(existing, member, ctx)
            self.added.add(tuple(parts))
            return
        node = new_dir()
        self._set_meta(node, member, ctx)
        self._replace(parts, node, ctx)

    def _replace(self, parts: list[str], node: Node, ctx: str) -> None:
        parent = self._parent(parts, ctx, create=True)
        name = parts[-1]
        if node in self.links:
            self.links[node] += 1  # count first: the old entry may be this node
        old = parent.children.get(name)
        if old is not None:
            self._forget(old)
        if node.is_dir:
            node.parent = parent
        parent.children[name] = node
        self.added.add(tuple(parts))

    def _forget(self, node: Node) -> None:
        """A subtree left the model: free blobs no other name holds."""
        if node.is_dir:
            for child in (node.children or {}).values():
                self._forget(child)
            return
        if node not in self.links:
            return
        self.links[node] -= 1
        if self.links[node] == 0:
            del self.links[node]
            if node.blob is not None:
                node.blob.unlink(missing_ok=True)

    def _whiteout(self, parts: list[str], ctx: str) -> None:
        parent = self._parent(parts, ctx, create=False)
        if parent is None:
            return  # nothing below to hide
        base = tuple(parts[:-1])
        if parts[-1] == OPAQUE:
            for name in list(parent.children):
                if base + (name,) not in self.added:
                    self._forget(parent.children.pop(name))
            return
        if parts[-1].startswith(OPAQUE[:8]):  # other ".wh..wh." names: aufs bookkeeping
            log.debug("%s: ignored", ctx)
            return
        name = parts[-1][len(WHITEOUT):]
        check_name(name, ctx)
        if name in parent.children and base + (name,) not in self.added:
            self._forget(parent.children.pop(name))


def _layer_where(index: int, total: int, layer: LayerRef) -> str:
    return f"layer {index}/{total} ({layer.digest[:19]})"


def unpack(image: Image, staging: Path) -> RootFS:
    """Apply every layer of `image` into a new RootFS; blobs go to `staging`
    (created if missing, owned by the caller)."""
    staging = Path(staging)
    staging.mkdir(parents=True, exist_ok=True)
    applier = LayerApplier(staging)
    for index, layer in enumerate(image.layers, 1):
        where = _layer_where(index, len(image.layers), layer)
        log.info("unpacking %s", where)
        stream = image.open_layer(layer)
        try:
            with progress_bar(None, f"unpack {index}/{len(image.layers)}") as bar:
                applier.apply(_Counting(stream, bar), where)
            stream.verify()
        except CvmifyError as e:
            _verify_first(stream)
            raise type(e)(e.message if e.message.startswith(where) else f"{where}: {e.message}") from None
        except (tarfile.TarError, HeaderTooLarge, EOFError, OSError, zlib.error, RecursionError) as e:
            _verify_first(stream)
            raise UnsafeImageError(f"{where}: unreadable layer: {e}") from None
        finally:
            _close_quietly(stream)
    return applier.rootfs


def _verify_first(stream) -> None:
    """After a failure: a digest mismatch, if any, is the real story."""
    try:
        stream.verify()
    except IntegrityError:
        raise
    except Exception:
        pass


def _close_quietly(stream) -> None:
    try:
        stream.close()
    except Exception:  # verification already ran on every path that returns
        pass


class _Counting:
    """Advances a progress bar as the tar reader pulls bytes."""

    def __init__(self, stream: BinaryIO, bar):
        self.stream, self.bar = stream, bar

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.bar.update(len(data))
        return data
