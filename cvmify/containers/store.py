"""Containers: the runs `cvmify ps/logs/stop/rm` know about.

Each lives in its own directory under the per-user state directory
(cvmify/paths.py `state_dir()`, docs/containers.md):

    containers/<id>/container.json   the record below, replaced atomically
    containers/<id>/stdout.log       the app's stdout (detached runs)
    containers/<id>/stderr.log       the app's stderr and cvmify's warnings

A record names the process that supervises the VM (`cvmify run` itself,
or its detached child) by pid and that process's start time, so a pid
the system reused is never taken for a live container. Names are unique;
creation takes a lock on the directory.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from cvmify.errors import CvmifyIOError, NoSuchContainerError, UsageError

RECORD = "container.json"
STDOUT_LOG = "stdout.log"
STDERR_LOG = "stderr.log"
ID_BYTES = 32  # 64 hex digits, as docker's ids
SHORT_ID = 12
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")

RUNNING, EXITED, DEAD = "running", "exited", "dead"


@dataclass
class Container:
    id: str
    name: str
    bundle: str
    command: list[str]  # the `cvmify run` arguments, for people
    created: float
    detached: bool
    stop_timeout: float
    stop_signal: str = "SIGTERM"
    pid: int | None = None  # the supervising process
    pid_start: int | None = None  # its start time in clock ticks (/proc/PID/stat field 22)
    exit_code: int | None = None
    finished: float | None = None
    error: str | None = None  # why the run ended without an app status
    directory: Path = field(default=Path("."), repr=False, compare=False)

    @property
    def short_id(self) -> str:
        return self.id[:SHORT_ID]

    @property
    def state(self) -> str:
        if self.finished is not None:
            return EXITED
        if self.pid is not None and process_alive(self.pid, self.pid_start):
            return RUNNING
        return DEAD  # the supervisor went away without recording an end

    def log_path(self, stream: str) -> Path:
        return self.directory / (STDOUT_LOG if stream == "stdout" else STDERR_LOG)

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("directory")
        data["state"] = self.state
        return data


def process_start(pid: int) -> int | None:
    """The start time of process pid in clock ticks since boot, or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return int(fields[19]) if len(fields) > 19 and fields[0] != "Z" else None


def process_alive(pid: int, start: int | None) -> bool:
    now = process_start(pid)
    return now is not None and (start is None or now == start)


class Store:
    def __init__(self, root: Path):
        self.root = root / "containers"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.root / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def create(self, name: str | None, bundle: Path, command: list[str], detached: bool,
               stop_timeout: float, stop_signal: str) -> Container:
        """A new record (no supervisor yet); UsageError if the name is taken."""
        with self._locked():
            cid = secrets.token_hex(ID_BYTES)
            if name is None:
                name = f"cvmify-{cid[:8]}"
            check_name(name)
            if any(c.name == name for c in self.all()):
                raise UsageError(f"--name {name}: a container of that name exists; remove it with `cvmify rm {name}`")
            directory = self.root / cid
            directory.mkdir(mode=0o700)
            container = Container(cid, name, str(bundle), command, time.time(), detached, stop_timeout,
                                  stop_signal, os.getpid(), process_start(os.getpid()), directory=directory)
            self.save(container)
            return container

    def save(self, container: Container) -> None:
        tmp = container.directory / f".{RECORD}.{os.getpid()}"
        try:
            tmp.write_text(json.dumps(container.to_json(), indent=2, sort_keys=True) + "\n")
            os.replace(tmp, container.directory / RECORD)
        except OSError as e:
            raise CvmifyIOError(f"cannot write {container.directory / RECORD}: {e.strerror}") from None

    def load(self, directory: Path) -> Container | None:
        try:
            data = json.loads((directory / RECORD).read_text())
        except (OSError, ValueError):
            return None
        data.pop("state", None)
        known = {f for f in Container.__dataclass_fields__ if f != "directory"}
        try:
            return Container(**{k: v for k, v in data.items() if k in known}, directory=directory)
        except TypeError:
            return None

    def all(self) -> list[Container]:
        """Every container, oldest first (unreadable records are skipped)."""
        if not self.root.is_dir():
            return []
        found = [self.load(d) for d in self.root.iterdir() if d.is_dir()]
        return sorted((c for c in found if c is not None), key=lambda c: c.created)

    def find(self, ref: str) -> Container:
        """By name, full id or a unique id prefix; NoSuchContainerError else."""
        everything = self.all()
        for c in everything:
            if c.name == ref or c.id == ref:
                return c
        matches = [c for c in everything if ref and c.id.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UsageError(f"{ref}: more than one container id starts with it; give more of it")
        raise NoSuchContainerError(f"no such container: {ref}")

    def remove(self, container: Container) -> None:
        shutil.rmtree(container.directory, ignore_errors=True)


def check_name(name: str) -> None:
    """Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*, here at most 64 characters."""
    if not (0 < len(name) <= 64 and name[0].isascii() and name[0].isalnum() and set(name) <= NAME_CHARS):
        raise UsageError(f"--name {name!r}: expected letters, digits, '_', '.' or '-', starting with a letter or digit")
