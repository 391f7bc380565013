"""The bundle directory (docs/bundle-format.md): write atomically, load and check.

A bundle is assembled in a hidden temporary sibling of the target
directory and renamed into place only after every file is written and
indexed, so a failed build leaves nothing behind. Loading checks the
index and the presence and size of every file before anything uses them;
the (slower) content hashes are checked by `Bundle.hash_problems`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cvmify import __version__
from cvmify.errors import BadBundleError, CvmifyIOError, UsageError
from cvmify.result import dumps

log = logging.getLogger(__name__)

FORMAT = "cvmify-bundle/1"
INDEX_FILE = "bundle.json"
KEY_FILE = "disk-key.dev"
KEY_SIZE = 32
BLOCK_SIZE = 4096
ROOT_SIZE = 48
# Files listed (and hashed) in bundle.json, in the order they are written.
LISTED_FILES = ("kernel.elf", "manifest.toml", "config.bin", "rootfs.img", "measurements.json")
# Listed and hashed when present: td.fd, the TDX boot image (docs/tdx.md).
OPTIONAL_FILES = ("td.fd",)
TD_FD = "td.fd"
MAX_INDEX_SIZE = 1 << 20


@dataclass(frozen=True)
class ImageInfo:
    reference: str
    config_digest: str
    manifest_digest: str | None
    platform: str

    def to_json(self) -> dict[str, Any]:
        """The "image" object of bundle.json and of `build --json`."""
        return {
            "reference": self.reference,
            "config_digest": self.config_digest,
            "manifest_digest": self.manifest_digest,
            "platform": self.platform,
        }


@dataclass(frozen=True)
class DiskSummary:
    block_size: int
    block_count: int
    root: bytes  # 48 bytes, SHA-384 (docs/disk-format.md)


@dataclass(frozen=True)
class FileEntry:
    size: int
    sha256: str  # lowercase hex


@dataclass(frozen=True)
class BundleIndex:
    """The content of bundle.json."""

    created: int
    image: ImageInfo
    disk: DiskSummary
    files: dict[str, FileEntry]
    cvmify_version: str = __version__
    format: str = FORMAT
    dev_key: bool = True  # False: no disk-key.dev; the key broker holds the key (docs/tdx.md)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "cvmify_version": self.cvmify_version,
            "created": self.created,
            "image": self.image.to_json(),
            "disk": {
                "block_size": self.disk.block_size,
                "block_count": self.disk.block_count,
                "root": self.disk.root.hex(),
            },
            "key": ({"file": KEY_FILE, "development_only": True} if self.dev_key
                    else {"file": None, "released_by": "key-broker"}),
            "files": {name: {"size": e.size, "sha256": e.sha256} for name, e in sorted(self.files.items())},
        }


# -- parsing bundle.json (untrusted input: check every field) ---------------


def _field(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise BadBundleError(f"{INDEX_FILE}: missing {where}{key}")
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise BadBundleError(f"{INDEX_FILE}: {where}{key} has the wrong type")
    return value


def _hex(text: str, size: int, where: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != size or text != raw.hex():
        raise BadBundleError(f"{INDEX_FILE}: {where} is not {size * 2} lowercase hex digits")
    return raw


def parse_index(data: dict[str, Any]) -> BundleIndex:
    fmt = _field(data, "format", str, "")
    if fmt != FORMAT:
        raise BadBundleError(f"{INDEX_FILE}: unsupported format {fmt!r} (expected {FORMAT})")
    image = _field(data, "image", dict, "")
    disk = _field(data, "disk", dict, "")
    files = _field(data, "files", dict, "")
    manifest_digest = image.get("manifest_digest")
    if manifest_digest is not None and not isinstance(manifest_digest, str):
        raise BadBundleError(f"{INDEX_FILE}: image.manifest_digest has the wrong type")
    block_size = _field(disk, "block_size", int, "disk.")
    block_count = _field(disk, "block_count", int, "disk.")
    if block_size != BLOCK_SIZE or not 1 <= block_count <= 1 << 28:
        raise BadBundleError(f"{INDEX_FILE}: disk geometry out of range")
    entries: dict[str, FileEntry] = {}
    for name in (*LISTED_FILES, *(n for n in OPTIONAL_FILES if n in files)):
        entry = _field(files, name, dict, "files.")
        size = _field(entry, "size", int, f"files.{name}.")
        if size < 0:
            raise BadBundleError(f"{INDEX_FILE}: files.{name}.size is negative")
        digest = _field(entry, "sha256", str, f"files.{name}.")
        _hex(digest, 32, f"files.{name}.sha256")
        entries[name] = FileEntry(size=size, sha256=digest)
    extra = sorted(set(files) - set(LISTED_FILES) - set(OPTIONAL_FILES))
    if extra:
        raise BadBundleError(f"{INDEX_FILE}: unexpected files listed: {', '.join(extra)}")
    key = data.get("key", {"file": KEY_FILE})
    if not isinstance(key, dict) or key.get("file") not in (KEY_FILE, None):
        raise BadBundleError(f"{INDEX_FILE}: key must name {KEY_FILE} or null")
    return BundleIndex(
        dev_key=key.get("file") == KEY_FILE,
        created=_field(data, "created", int, ""),
        image=ImageInfo(
            reference=_field(image, "reference", str, "image."),
            config_digest=_field(image, "config_digest", str, "image."),
            manifest_digest=manifest_digest,
            platform=_field(image, "platform", str, "image."),
        ),
        disk=DiskSummary(
            block_size=block_size,
            block_count=block_count,
            root=_hex(_field(disk, "root", str, "disk."), ROOT_SIZE, "disk.root"),
        ),
        files=entries,
        cvmify_version=_field(data, "cvmify_version", str, ""),
        format=fmt,
    )


# -- a loaded bundle -------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Bundle:
    path: Path
    index: BundleIndex

    def file(self, name: str) -> Path:
        return self.path / name

    @property
    def has_td_fd(self) -> bool:
        return TD_FD in self.index.files

    def read_key(self) -> bytes:
        """The development disk key; BadBundleError if absent or malformed."""
        if not self.index.dev_key:
            raise BadBundleError(f"{self.path}: has no development key: its disk key is with the key broker")
        try:
            key = self.file(KEY_FILE).read_bytes()
        except OSError as e:
            raise BadBundleError(f"{self.path}: cannot read {KEY_FILE}: {e.strerror}") from e
        if len(key) != KEY_SIZE:
            raise BadBundleError(f"{self.path}: {KEY_FILE} is {len(key)} bytes, expected {KEY_SIZE}")
        return key

    def hash_problems(self) -> list[str]:
        """Listed files whose sha256 differs from bundle.json (empty if all match)."""
        problems = []
        for name, entry in sorted(self.index.files.items()):
            actual = sha256_file(self.file(name))
            if actual != entry.sha256:
                problems.append(f"{name}: sha256 {actual} does not match bundle.json")
        return problems


def load_bundle(path: Path) -> Bundle:
    """Read and check bundle.json and that every listed file is there with its size."""
    if not path.is_dir():
        raise BadBundleError(f"{path}: not a bundle directory")
    index_path = path / INDEX_FILE
    try:
        with open(index_path, "rb") as f:
            raw = f.read(MAX_INDEX_SIZE + 1)
    except OSError as e:
        raise BadBundleError(f"{path}: cannot read {INDEX_FILE}: {e.strerror}") from e
    if len(raw) > MAX_INDEX_SIZE:
        raise BadBundleError(f"{index_path}: larger than {MAX_INDEX_SIZE} bytes")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadBundleError(f"{index_path}: not valid JSON ({e})") from e
    index = parse_index(data)
    for name, entry in index.files.items():
        file_path = path / name
        if not file_path.is_file():
            raise BadBundleError(f"{path}: missing {name}")
        if file_path.stat().st_size != entry.size:
            raise BadBundleError(f"{path}: {name} has size {file_path.stat().st_size}, bundle.json says {entry.size}")
    if index.dev_key and not (path / KEY_FILE).is_file():
        raise BadBundleError(f"{path}: missing {KEY_FILE}")
    return Bundle(path=path, index=index)


# -- writing ---------------------------------------------------------------


def _replaceable(path: Path) -> bool:
    """--force may replace an empty directory or an earlier bundle, nothing else."""
    return path.is_dir() and not path.is_symlink() and (not any(path.iterdir()) or (path / INDEX_FILE).is_file())


class BundleWriter:
    """Assemble a bundle in a temporary sibling directory; `commit` renames it
    into place. Leaving the `with` block without a commit removes everything."""

    def __init__(self, target: Path, force: bool = False):
        self.target = target
        self.force = force
        self.tmp: Path | None = None
        self.committed = False

    def __enter__(self) -> "BundleWriter":
        if self.target.exists() or self.target.is_symlink():
            if not self.force:
                raise UsageError(f"{self.target} already exists (use --force to replace it)")
            if not _replaceable(self.target):
                raise UsageError(f"{self.target} is not a bundle or an empty directory; refusing to replace it")
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent))
        except OSError as e:
            raise CvmifyIOError(f"cannot create a directory next to {self.target}: {e.strerror}") from e
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self.committed and self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name: str) -> Path:
        assert self.tmp is not None and "/" not in name
        return self.tmp / name

    def write_bytes(self, name: str, data: bytes) -> None:
        self.path(name).write_bytes(data)

    def copy_file(self, name: str, source: Path) -> None:
        try:
            shutil.copyfile(source, self.path(name))
        except OSError as e:
            raise CvmifyIOError(f"cannot copy {source}: {e.strerror}") from e

    def write_key(self, key: bytes) -> None:
        """The key file is created 0600 from the start, never readable by others."""
        fd = os.open(self.path(KEY_FILE), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        os.chmod(self.path(KEY_FILE), 0o600)  # in case of an odd umask

    def commit(self, created: int, image: ImageInfo, disk: DiskSummary, dev_key: bool = True) -> BundleIndex:
        """Index the files, write bundle.json, and move the bundle into place.
        dev_key False: a bundle without disk-key.dev (write_key not called)."""
        assert self.tmp is not None
        files = {}
        for name in LISTED_FILES:
            p = self.path(name)
            if not p.is_file():
                raise CvmifyIOError(f"internal: bundle file {name} was not written")
            files[name] = FileEntry(size=p.stat().st_size, sha256=sha256_file(p))
        for name in OPTIONAL_FILES:
            if self.path(name).is_file():
                files[name] = FileEntry(size=self.path(name).stat().st_size, sha256=sha256_file(self.path(name)))
        index = BundleIndex(created=created, image=image, disk=disk, files=files, dev_key=dev_key)
        self.write_bytes(INDEX_FILE, dumps(index.to_json()).encode())
        for name in (*files, INDEX_FILE, *((KEY_FILE,) if dev_key else ())):
            os.chmod(self.path(name), 0o600 if name == KEY_FILE else 0o644)
            os.utime(self.path(name), (created, created))
            _fsync(self.path(name))
        os.chmod(self.tmp, 0o755)
        self._move_into_place()
        self.committed = True
        return index

    def _move_into_place(self) -> None:
        """Rename the new bundle in; with --force the old one is moved aside
        first and put back if the rename fails."""
        assert self.tmp is not None
        old: Path | None = None
        try:
            if self.target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".old", dir=self.target.parent))
                os.rename(self.target, old / "bundle")
            os.rename(self.tmp, self.target)
        except OSError as e:
            if old is not None and (old / "bundle").exists() and not self.target.exists():
                os.rename(old / "bundle", self.target)
                shutil.rmtree(old, ignore_errors=True)
            raise CvmifyIOError(f"cannot move the bundle into {self.target}: {e.strerror}") from e
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        _fsync(self.target.parent)
        log.info("bundle written to %s", self.target)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
