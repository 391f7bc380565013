"""Apply an image's layers, in order, to a RootFS model (cvmify/image/rootfs.py).

Nothing from a layer becomes a host path: names only index the model, and
file contents go to blobs in `staging` named by a counter (small files share
one pack per layer: cvmify/image/staging.py). A layer is read by
cvmify/image/layer_scan.py, which checks each member on its own and stages
its content; this file replays those edits onto the tree. Each layer tar is
streamed once (tarfile 'r|'), and verified when its end is reached; layers
a source already scanned while fetching them (Image.scanned) are replayed
without being read again.

Docker / OCI layer semantics:
- '.wh.NAME' deletes NAME from the lower layers; '.wh..wh..opq' empties its
  directory of everything from the lower layers. Neither touches entries
  of its own layer.
- A directory over a directory merges (the new metadata wins). Anything
  else replaces what was there, a whole subtree included.
- Missing parent directories are created 0755 root:root.
- Hard links name the same Node; symlinks keep their text as stored.
- Device nodes and FIFOs are dropped: the guest kernel provides /dev
  itself, and the disk format has no such inodes. One warning line for
  the whole image says how many and names the first few.

Refused with UnsafeImageError, naming layer and member: what layer_scan.py
refuses, plus a parent path that is a symlink in the model (writing
through it), and a hard link to a missing path or through a symlink.
"""

from __future__ import annotations

import io
import logging
import stat
from pathlib import Path
from typing import BinaryIO, Iterable

from cvmify.errors import IntegrityError, UnsafeImageError
from cvmify.image import layer_scan as scan
from cvmify.image.progress import progress_bar
from cvmify.image.rootfs import Node, RootFS, new_dir
from cvmify.image.source import Image, LayerRef
from cvmify.image.staging import Staging

log = logging.getLogger(__name__)

STREAM_BUFFER = 1 << 20  # tarfile reads 10 KiB at a time; serve those from memory


class LayerApplier:
    """Builds the model; one instance for the whole image."""

    def __init__(self, staging: Path):
        self.rootfs = RootFS(root=new_dir(), staging=staging)
        self.staging = Staging(staging)
        self.links: dict[Node, int] = {}  # file node -> names it has; 0 frees its blob
        self.where = ""
        self.added: set[tuple[str, ...]] = set()  # paths written by the current layer
        self.dropped: list[str] = []  # device nodes and FIFOs left out, as "/path"

    # -- one layer ------------------------------------------------------------

    def apply(self, stream: BinaryIO, where: str) -> None:
        """Read the layer tar `stream` and apply it as it is read."""
        self.replay(scan.scan_layer(stream, self.staging, where), where)

    def replay(self, entries: Iterable[scan.Entry], where: str) -> None:
        self.where = where
        self.added = set()
        for entry in entries:
            self.apply_entry(entry)

    def apply_entry(self, entry: scan.Entry) -> None:
        ctx = f"{self.where}: member {entry.member!r}"
        kind, parts = entry.kind, entry.parts
        if kind == scan.ROOT:
            _copy_meta(entry.node, self.rootfs.root)
        elif kind == scan.DIR:
            self._add_dir(parts, entry.node, ctx)
        elif kind in (scan.FILE, scan.SYMLINK):
            if kind == scan.FILE:
                self.links[entry.node] = 0
            self._replace(parts, entry.node, ctx)
        elif kind == scan.HARDLINK:
            self._replace(parts, self._link_target(entry.link, ctx), ctx)
        elif kind == scan.WHITEOUT_NAME:
            self._whiteout(parts, ctx)
        elif kind == scan.OPAQUE_DIR:
            self._opaque(parts, ctx)
        elif kind == scan.DROPPED:
            self.dropped.append("/" + "/".join(parts))
        else:
            raise AssertionError(f"unknown layer edit {kind!r}")

    def _link_target(self, parts: list[str], ctx: str) -> Node:
        """The existing Node a hard link names; never through a symlink."""
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
            child = node.children.get(part)
            if child is None:
                if not create:
                    return None
                child = new_dir(0o755)
                child.parent = node
                node.children[part] = child
                self.added.add(tuple(parts[: i + 1]))
            elif child.is_symlink:
                raise UnsafeImageError(f"{ctx}: writes through symlink /{'/'.join(parts[: i + 1])}")
            elif not child.is_dir:
                raise UnsafeImageError(f"{ctx}: parent /{'/'.join(parts[: i + 1])} is not a directory")
            node = child
        return node

    def _add_dir(self, parts: list[str], node: Node, ctx: str) -> None:
        parent = self._parent(parts, ctx, create=True)
        existing = parent.children.get(parts[-1])
        if existing is not None and existing.is_dir:
            _copy_meta(node, existing)
            self.added.add(tuple(parts))
            return
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
            self.staging.release(node)

    def _whiteout(self, parts: list[str], ctx: str) -> None:
        parent = self._parent(parts, ctx, create=False)
        if parent is None:
            return  # nothing below to hide
        name = parts[-1][len(scan.WHITEOUT):]
        if name in parent.children and tuple(parts[:-1]) + (name,) not in self.added:
            self._forget(parent.children.pop(name))

    def _opaque(self, parts: list[str], ctx: str) -> None:
        parent = self._parent(parts, ctx, create=False)
        if parent is None:
            return
        base = tuple(parts[:-1])
        for name in list(parent.children):
            if base + (name,) not in self.added:
                self._forget(parent.children.pop(name))


def _copy_meta(source: Node, target: Node) -> None:
    target.mode = stat.S_IFMT(target.mode) | stat.S_IMODE(source.mode)
    target.uid, target.gid, target.mtime = source.uid, source.gid, source.mtime


def layer_where(index: int, total: int, layer: LayerRef) -> str:
    return f"layer {index}/{total} ({layer.digest[:19]})"


def unpack(image: Image, staging: Path) -> RootFS:
    """Apply every layer of `image` into a new RootFS; blobs go to `staging`
    (created if missing, owned by the caller), or stay where the source
    staged the layers it scanned."""
    staging = Path(staging)
    staging.mkdir(parents=True, exist_ok=True)
    applier = LayerApplier(staging)
    for index, layer in enumerate(image.layers, 1):
        where = layer_where(index, len(image.layers), layer)
        scanned = image.take_scanned(index - 1)
        if scanned is not None:
            log.info("applying %s (scanned while fetching)", where)
            try:
                applier.replay(scanned, where)
            except UnsafeImageError as e:
                raise scan.prefixed(e, where) from None
            continue
        log.info("unpacking %s", where)
        _unpack_stream(applier, image, layer, index, where)
    _warn_dropped(applier.dropped)
    return applier.rootfs


DROPPED_NAMED = 4  # how many dropped paths the warning names


def _warn_dropped(paths: list[str]) -> None:
    if not paths:
        return
    named = ", ".join(paths[:DROPPED_NAMED]) + (", ..." if len(paths) > DROPPED_NAMED else "")
    log.warning("%d device node%s or FIFO%s dropped (the guest provides /dev): %s",
                len(paths), "s" if len(paths) != 1 else "", "s" if len(paths) != 1 else "", named)


def _unpack_stream(applier: LayerApplier, image: Image, layer: LayerRef, index: int, where: str) -> None:
    stream = image.open_layer(layer)
    try:
        with progress_bar(None, f"unpack {index}/{len(image.layers)}") as bar:
            applier.apply(io.BufferedReader(_Counting(stream, bar), STREAM_BUFFER), where)
        stream.verify()
    except Exception as e:
        _verify_first(stream)
        error = scan.layer_error(e, where)
        if error is None:
            raise
        raise error from None
    finally:
        _close_quietly(stream)


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


class _Counting(io.RawIOBase):
    """Advances a progress bar as the tar reader pulls bytes. Borrows
    `stream`: closing this does not close it."""

    def __init__(self, stream: BinaryIO, bar):
        super().__init__()
        self.stream, self.bar = stream, bar

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.stream.readinto(buffer)
        self.bar.update(count)
        return count
