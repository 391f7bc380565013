"""The unpacked root filesystem, as a model.

Layers are never applied to the host's filesystem as themselves. The
unpacker (cvmify/image/unpack.py) builds this model: a tree of nodes with
the image's own mode/uid/gid/mtime, and for each regular file a *blob*: a
plain file in a private staging directory, named by a counter, that holds
the content. Small files share a blob (a *pack*, one per layer): their
content is `size` bytes of it from `blob_offset`, because creating one
host file per small file costs more than the rest of the build. No path
from an archive is ever created on the host, so nothing can be written
outside the staging directory.

Consumers:
- cvmify/manifest/ reads files (`read`, `resolve`) to infer the manifest;
- cvmify/disk/ walks `iter_nodes` and streams each file's content
  (`open_content`) into the disk image.
"""

from __future__ import annotations

import io
import posixpath
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

from cvmify.errors import UnsafeImageError

MAX_SYMLINK_HOPS = 40


@dataclass(eq=False)
class Node:
    """One inode. Hard links are several directory entries naming one Node."""

    mode: int  # full st_mode: S_IFREG / S_IFDIR / S_IFLNK plus permission bits
    uid: int = 0
    gid: int = 0
    mtime: int = 0
    size: int = 0
    blob: Path | None = None  # regular files: the staged content
    blob_offset: int | None = None  # set when `blob` is a pack: where this content starts
    target: str | None = None  # symlinks: the link text, as stored
    children: dict[str, "Node"] | None = None  # directories: name -> Node
    parent: "Node | None" = None  # directories only

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.mode)

    @property
    def is_symlink(self) -> bool:
        return stat.S_ISLNK(self.mode)


def new_dir(mode: int = 0o755, uid: int = 0, gid: int = 0, mtime: int = 0) -> Node:
    return Node(mode=stat.S_IFDIR | (mode & 0o7777), uid=uid, gid=gid, mtime=mtime, children={})


def split_path(path: str) -> list[str]:
    """'/usr//bin/./x' -> ['usr', 'bin', 'x']. '..' is kept for the caller to judge."""
    return [part for part in path.split("/") if part not in ("", ".")]


@dataclass
class RootFS:
    """The final root filesystem after all layers are applied."""

    root: Node = field(default_factory=new_dir)
    staging: Path | None = None  # directory holding the blobs; owned by the caller

    # -- lookup -----------------------------------------------------------

    def lookup(self, path: str, follow_final: bool = True) -> Node | None:
        """Resolve an absolute path inside the image, following symlinks
        inside the image only. Returns None when it does not exist."""
        try:
            return self._walk(path, follow_final)[0]
        except (FileNotFoundError, NotADirectoryError):
            return None

    def resolve(self, path: str, follow_final: bool = True) -> str | None:
        """The canonical absolute path that `path` resolves to, or None."""
        try:
            return self._walk(path, follow_final)[1]
        except (FileNotFoundError, NotADirectoryError):
            return None

    def read(self, path: str, limit: int | None = None) -> bytes:
        """Content of a regular file (following symlinks); FileNotFoundError if absent."""
        node = self.lookup(path)
        if node is None or not node.is_file:
            raise FileNotFoundError(path)
        if node.blob is None:
            return b""
        with io.BufferedReader(open_content(node)) as f:
            return f.read() if limit is None else f.read(limit)

    def _walk(self, path: str, follow_final: bool) -> tuple[Node, str]:
        """Walk like the kernel would, with '..' clamped at '/' and symlinks
        resolved relative to the image root. Raises FileNotFoundError."""
        hops = 0
        stack: list[Node] = [self.root]
        names: list[str] = []
        pending = split_path(path)
        while pending:
            part = pending.pop(0)
            if part == "..":
                if len(stack) > 1:
                    stack.pop()
                    names.pop()
                continue
            cur = stack[-1]
            if not cur.is_dir or cur.children is None:
                raise NotADirectoryError(path)
            child = cur.children.get(part)
            if child is None:
                raise FileNotFoundError(path)
            if child.is_symlink and (pending or follow_final):
                hops += 1
                if hops > MAX_SYMLINK_HOPS:
                    raise FileNotFoundError(path)
                target = child.target or ""
                if target.startswith("/"):
                    stack, names = [self.root], []
                pending = split_path(target) + pending
                continue
            stack.append(child)
            names.append(part)
        return stack[-1], "/" + "/".join(names)

    # -- walking ----------------------------------------------------------

    def iter_nodes(self) -> Iterator[tuple[str, Node]]:
        """Every (path, node) pair, depth-first, children sorted by name
        (byte-wise). A hard-linked node appears once per name."""

        def walk(prefix: str, node: Node) -> Iterator[tuple[str, Node]]:
            yield prefix or "/", node
            if node.is_dir and node.children:
                for name in sorted(node.children, key=lambda n: n.encode("utf-8", "surrogateescape")):
                    yield from walk(prefix + "/" + name, node.children[name])

        yield from walk("", self.root)


def open_content(node: Node) -> BinaryIO:
    """A regular file's staged content, unbuffered. A whole-file blob is
    opened as it is (so a blob that grew since unpacking shows); a pack
    slice reads as exactly `size` bytes, then end of file."""
    if node.blob is None:
        return io.BytesIO(b"")
    f = open(node.blob, "rb", buffering=0)
    if node.blob_offset is None:
        return f
    try:
        f.seek(node.blob_offset)
    except BaseException:
        f.close()
        raise
    return _Slice(f, node.size)


class _Slice(io.RawIOBase):
    """The next `size` bytes of `f`, then EOF. Owns `f`."""

    def __init__(self, f: BinaryIO, size: int):
        super().__init__()
        self._f = f
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), self._left)
        if want == 0:
            return 0
        got = self._f.readinto(view[:want])
        self._left -= got
        return got

    def close(self) -> None:
        if not self.closed:
            self._f.close()
        super().close()


def check_name(name: str, where: str) -> None:
    """A single path component as stored in the image."""
    if name in ("", ".", "..") or "/" in name or "\0" in name:
        raise UnsafeImageError(f"{where}: invalid name {name!r}")
    if len(name.encode("utf-8", "surrogateescape")) > 255:
        raise UnsafeImageError(f"{where}: name longer than 255 bytes")


def normalize_member_path(path: str, where: str) -> list[str]:
    """Split an archive member path; refuse absolute paths and '..'."""
    if path.startswith("/"):
        raise UnsafeImageError(f"{where}: absolute path {path!r} refused")
    parts = split_path(path)
    if ".." in parts:
        raise UnsafeImageError(f"{where}: path {path!r} escapes the root")
    for part in parts:
        check_name(part, where)
    return parts


def join(*parts: str) -> str:
    return posixpath.join(*parts)
