"""Read-only file trees that image layouts live in: a directory, or a tar.

An OCI layout can be a directory (`oci:`) or a tar of one (`oci-archive:`,
and the layout newer dockers write inside `docker save`); a legacy
`docker save` is a tar too. Readers of those formats see only this
interface, and blob stores built on it. Paths are relative, '/'-separated,
and built by us from validated digests or checked by `_clean`.
"""

from __future__ import annotations

import io
import tarfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO

from cvmify.errors import CvmifyIOError, ImageNotFoundError, IntegrityError, UnsafeImageError
from cvmify.image.digest import parse_digest
from cvmify.image.source import BlobStore

MAX_ARCHIVE_MEMBERS = 100_000


def _clean(path: str, where: str) -> str:
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if path.startswith("/") or ".." in parts:
        raise UnsafeImageError(f"{where}: path {path!r} escapes the archive")
    return "/".join(parts)


class Tree(ABC):
    def __init__(self, name: str):
        self.name = name

    @abstractmethod
    def open(self, path: str) -> BinaryIO:
        """Raises FileNotFoundError when `path` is not a file in the tree."""

    @abstractmethod
    def exists(self, path: str) -> bool: ...

    def read(self, path: str, limit: int) -> bytes:
        with self.open(path) as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise UnsafeImageError(f"{self.name}: {path} is larger than {limit} bytes")
        return data

    def close(self) -> None:
        pass


class DirTree(Tree):
    def __init__(self, root: Path):
        super().__init__(str(root))
        if not root.is_dir():
            raise ImageNotFoundError(f"{root}: not a directory")
        self.root = root

    def open(self, path: str) -> BinaryIO:
        target = self.root / _clean(path, self.name)
        if not target.is_file():
            raise FileNotFoundError(path)
        return open(target, "rb")

    def exists(self, path: str) -> bool:
        return (self.root / _clean(path, self.name)).is_file()


class TarTree(Tree):
    """A tar read in place (no extraction); members are found by name."""

    def __init__(self, path: Path):
        super().__init__(str(path))
        if not path.is_file():
            raise ImageNotFoundError(f"{path}: no such file")
        try:
            self._tar = tarfile.open(path, "r:*")
        except (tarfile.TarError, OSError) as e:
            raise CvmifyIOError(f"{path}: not a readable tar archive ({e})") from None
        self._members: dict[str, tarfile.TarInfo] = {}
        try:
            self._index()
        except BaseException:
            self._tar.close()
            raise

    def _index(self) -> None:
        for count, member in enumerate(self._tar, 1):
            if count > MAX_ARCHIVE_MEMBERS:
                raise UnsafeImageError(f"{self.name}: more than {MAX_ARCHIVE_MEMBERS} members")
            if member.isfile() or member.issym() or member.islnk():
                self._members[_clean(member.name, self.name)] = member

    def open(self, path: str) -> BinaryIO:
        member = self._members.get(_clean(path, self.name))
        if member is None:
            raise FileNotFoundError(path)
        try:
            # tarfile resolves links to other members of this archive only
            f = self._tar.extractfile(member)
        except KeyError:
            f = None
        if f is None:
            raise FileNotFoundError(path)
        return f

    def exists(self, path: str) -> bool:
        return _clean(path, self.name) in self._members

    def close(self) -> None:
        self._tar.close()


class MemoryTree(Tree):
    """A few small files kept in memory (the JSON documents of a streamed
    archive)."""

    def __init__(self, name: str, files: dict[str, bytes]):
        super().__init__(name)
        self.files = files

    def open(self, path: str) -> BinaryIO:
        data = self.files.get(_clean(path, self.name))
        if data is None:
            raise FileNotFoundError(path)
        return io.BytesIO(data)

    def exists(self, path: str) -> bool:
        return _clean(path, self.name) in self.files


class TreeBlobStore(BlobStore):
    """Blobs at blobs/<algorithm>/<hex>, or at paths given per digest."""

    def __init__(self, tree: Tree, paths: dict[str, str] | None = None):
        self.tree = tree
        self.paths = paths or {}

    def open_blob(self, digest: str, size: int | None) -> BinaryIO:
        path = self.paths.get(digest)
        if path is None:
            d = parse_digest(digest)
            path = f"blobs/{d.algorithm}/{d.hex}"
        try:
            return self.tree.open(path)
        except FileNotFoundError:
            raise IntegrityError(f"{self.tree.name}: blob {digest} is missing ({path})") from None

    def close(self) -> None:
        self.tree.close()
