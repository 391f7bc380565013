"""The volumes of this user: where they live, their keys, who uses them.

Each volume is a directory under the per-user state directory
(cvmify/paths.py `state_dir()`, docs/volumes.md):

    volumes/<name>/volume.img    the volume (docs/volume-format.md)
    volumes/<name>/key.dev       its development key (VM mode), mode 0600
    volumes/<name>/volume.json   the record below, replaced atomically
    volumes/<name>/lock          flock'ed by the run using it

The record keeps the state (generation and root) the last run left: the
rollback check of VM mode (docs/volume-format.md, "Rollback"). A run
holds the lock for its whole life, exclusively when it may write and
shared when it only reads, so two VMs never write one volume and `rm`
never removes a volume in use.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from cvmify.errors import CvmifyIOError, IntegrityError, UsageError, VolumeError
from cvmify.volume.fs import mkfs
from cvmify.volume.keys import VOLUME_KEY_SIZE, VolumeKeys
from cvmify.volume.layout import BLOCK_SIZE, MAX_BLOCK_COUNT, MIN_BLOCK_COUNT
from cvmify.volume.store import StateId, open_volume, read_slots

log = logging.getLogger(__name__)

VOLUMES = "volumes"
IMAGE = "volume.img"
KEY = "key.dev"
RECORD = "volume.json"
LOCK = "lock"
DEFAULT_SIZE = 1 << 30
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]+$")  # docker's rule for volume names
MAX_NAME = 128
_SIZE = re.compile(r"^([0-9]+)\s*([KMGT]?)(?:I?B)?$", re.IGNORECASE)

KEY_WARNING = ("VM mode: volume {name} is encrypted with a development key kept beside it "
               "({path}); the host can read and change it")


def check_name(name: str) -> None:
    if not _NAME.match(name) or len(name) > MAX_NAME:
        raise VolumeError(
            f"{name!r} is not a volume name: [A-Za-z0-9][A-Za-z0-9_.-]+, at most {MAX_NAME} characters")


def parse_size(text: str) -> int:
    """'1G', '512M', '64MiB', '1048576' -> bytes (K/M/G/T are powers of 1024),
    rounded up to whole 4 KiB blocks and checked against the format's limits."""
    match = _SIZE.match(text.strip())
    if not match:
        raise UsageError(f"--size {text!r}: expected a size like 512M or 10G")
    number, unit = int(match.group(1)), match.group(2).upper()
    size = number * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[unit]
    blocks = (size + BLOCK_SIZE - 1) // BLOCK_SIZE
    if not MIN_BLOCK_COUNT <= blocks <= MAX_BLOCK_COUNT:
        raise UsageError(f"--size {text!r}: a volume holds 1M .. 1T")
    return blocks * BLOCK_SIZE


@dataclass
class VolumeRecord:
    name: str
    uuid: str  # hex
    size: int  # bytes of the volume file
    created: float
    generation: int  # the state the last run left
    root: str  # hex
    last_used: float | None = None

    @property
    def state(self) -> StateId:
        return StateId(self.generation, bytes.fromhex(self.root))


@dataclass
class Volume:
    """A volume as `ls` and `inspect` show it."""

    record: VolumeRecord
    directory: Path
    in_use: bool
    used_bytes: int | None = None  # from the newest header (no key needed)

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def image(self) -> Path:
        return self.directory / IMAGE

    @property
    def key_path(self) -> Path:
        return self.directory / KEY

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "directory": str(self.directory),
            "file": str(self.image),
            "size": self.record.size,
            "used": self.used_bytes,
            "uuid": self.record.uuid,
            "created": self.record.created,
            "last_used": self.record.last_used,
            "generation": self.record.generation,
            "root": self.record.root,
            "in_use": self.in_use,
            "key": "development",
        }


@dataclass
class Attached:
    """A volume held for one run: what the launcher hands the guest."""

    volume: Volume
    key: bytes
    state: StateId  # the state the guest must find
    uuid: bytes
    read_only: bool


class VolumeStore:
    def __init__(self, state_root: Path):
        self.root = state_root / VOLUMES

    def directory(self, name: str) -> Path:
        check_name(name)
        return self.root / name

    # -- records -------------------------------------------------------------------

    def _read_record(self, directory: Path) -> VolumeRecord:
        try:
            data = json.loads((directory / RECORD).read_text())
            return VolumeRecord(**data)
        except (OSError, ValueError, TypeError) as e:
            raise CvmifyIOError(f"{directory / RECORD}: unreadable volume record ({e})") from None

    def _write_record(self, directory: Path, record: VolumeRecord) -> None:
        tmp = directory / (RECORD + ".tmp")
        tmp.write_text(json.dumps(asdict(record), indent=2, sort_keys=True) + "\n")
        os.replace(tmp, directory / RECORD)

    def _volume(self, directory: Path, record: VolumeRecord) -> Volume:
        return Volume(record, directory, self._in_use(directory), self._used_bytes(directory))

    def get(self, name: str) -> Volume:
        directory = self.directory(name)
        if not (directory / RECORD).is_file():
            raise VolumeError(f"no such volume: {name}")
        return self._volume(directory, self._read_record(directory))

    def all(self) -> list[Volume]:
        if not self.root.is_dir():
            return []
        out = []
        for directory in sorted(self.root.iterdir()):
            if directory.name.startswith(".") or not (directory / RECORD).is_file():
                continue
            out.append(self._volume(directory, self._read_record(directory)))
        return out

    # -- create and remove -----------------------------------------------------------

    def create(self, name: str, size: int | None = None) -> tuple[Volume, bool]:
        """The volume `name`, made now if it does not exist (like `docker
        volume create`, which returns an existing volume). (volume, created)."""
        directory = self.directory(name)
        if (directory / RECORD).is_file():
            volume = self.get(name)
            if size is not None and size != volume.record.size:
                raise VolumeError(f"volume {name} exists with size {volume.record.size} bytes")
            return volume, False
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        staging = self.root / f".new-{name}-{secrets.token_hex(4)}"
        staging.mkdir(mode=0o700)
        try:
            key = secrets.token_bytes(VOLUME_KEY_SIZE)
            fd = os.open(staging / KEY, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(key)
            size = size or DEFAULT_SIZE
            state = mkfs(staging / IMAGE, key, size // BLOCK_SIZE)
            with open(staging / IMAGE, "rb") as f:
                uuid = read_slots(staging / IMAGE, f.fileno(), None)[0].header.uuid
            record = VolumeRecord(name, uuid.hex(), size, time.time(), state.generation, state.root.hex())
            self._write_record(staging, record)
            try:
                os.rename(staging, directory)
            except OSError:
                if (directory / RECORD).is_file():  # created by someone else meanwhile
                    shutil.rmtree(staging, ignore_errors=True)
                    return self.get(name), False
                raise
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        log.info("created volume %s (%d bytes)", name, size)
        return self.get(name), True

    def remove(self, name: str) -> None:
        directory = self.get(name).directory
        with self._lock(directory, name, exclusive=True):
            graveyard = self.root / f".rm-{name}-{secrets.token_hex(4)}"
            os.rename(directory, graveyard)  # gone for everyone at once
        shutil.rmtree(graveyard, ignore_errors=True)

    # -- use by a run ---------------------------------------------------------------

    @contextmanager
    def _lock(self, directory: Path, name: str, exclusive: bool) -> Iterator[None]:
        try:
            fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise CvmifyIOError(f"{directory / LOCK}: {e}") from e
        try:
            try:
                fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
            except BlockingIOError:
                raise VolumeError(f"volume {name} is in use by a running container") from None
            yield
        finally:
            os.close(fd)

    def _in_use(self, directory: Path) -> bool:
        try:
            fd = os.open(directory / LOCK, os.O_RDONLY | os.O_CREAT, 0o600)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def _used_bytes(self, directory: Path) -> int | None:
        try:
            with open(directory / IMAGE, "rb") as f:
                slots = read_slots(directory / IMAGE, f.fileno(), None)
        except (OSError, CvmifyIOError):
            return None
        if not slots:
            return None
        return max(slots, key=lambda s: s.header.generation).header.used_blocks * BLOCK_SIZE

    def read_key(self, volume: Volume) -> bytes:
        try:
            key = volume.key_path.read_bytes()
        except OSError as e:
            raise CvmifyIOError(f"{volume.key_path}: {e}") from e
        if len(key) != VOLUME_KEY_SIZE:
            raise CvmifyIOError(f"{volume.key_path}: not a {VOLUME_KEY_SIZE}-byte key")
        return key

    def current_state(self, volume: Volume, key: bytes) -> StateId:
        """The state a run may start from: the recorded one, or a newer one
        the file holds; IntegrityError for an older or a different state.
        Opens the volume (every metadata block authenticated)."""
        image = volume.image
        try:
            with open(image, "rb") as f:
                slots = read_slots(image, f.fileno(), None)
        except FileNotFoundError:
            raise IntegrityError(f"volume {volume.name}: {image} is missing") from None
        except OSError as e:
            raise CvmifyIOError(f"{image}: {e}") from e
        valid = [s for s in slots if VolumeKeys.derive(key, s.header.uuid).mac_ok(s.raw)
                 and s.header.uuid.hex() == volume.record.uuid]
        if not valid:
            raise IntegrityError(f"volume {volume.name}: no valid header under its key: "
                                 "the volume file was replaced or tampered with")
        recorded = volume.record.state
        newest = max(valid, key=lambda s: s.header.generation)
        if newest.header.generation < recorded.generation:
            raise IntegrityError(
                f"volume {volume.name} was rolled back: it holds generation {newest.header.generation}, "
                f"the last run left generation {recorded.generation}")
        if newest.header.generation == recorded.generation and newest.state != recorded:
            raise IntegrityError(f"volume {volume.name}: generation {recorded.generation} is not the "
                                 "state the last run left: tampered with")
        if newest.header.generation > recorded.generation:
            log.info("volume %s: generation %d is newer than recorded (%d): a run ended unrecorded",
                     volume.name, newest.header.generation, recorded.generation)
        with open_volume(image, key, newest.state):  # walks and authenticates the metadata
            pass
        return newest.state

    @contextmanager
    def attach(self, name: str, read_only: bool) -> Iterator[Attached]:
        """Hold volume `name` (created if missing) for one run: locked, its
        state checked; afterwards the state the run left is recorded."""
        volume, _ = self.create(name)
        with self._lock(volume.directory, name, exclusive=not read_only):
            key = self.read_key(volume)
            state = self.current_state(volume, key)
            self.record_state(volume, state)
            try:
                yield Attached(volume, key, state, bytes.fromhex(volume.record.uuid), read_only)
            finally:
                if not read_only:
                    self._record_after_run(volume, key)

    def record_state(self, volume: Volume, state: StateId) -> None:
        record = volume.record
        record.generation, record.root, record.last_used = state.generation, state.root.hex(), time.time()
        self._write_record(volume.directory, record)

    def _record_after_run(self, volume: Volume, key: bytes) -> None:
        """Record the newest state the guest committed (its MAC checked)."""
        with open(volume.image, "rb") as f:
            slots = read_slots(volume.image, f.fileno(), None)
        valid = [s for s in slots if VolumeKeys.derive(key, s.header.uuid).mac_ok(s.raw)]
        if valid:
            newest = max(valid, key=lambda s: s.header.generation)
            if newest.header.generation >= volume.record.generation:
                self.record_state(volume, newest.state)
