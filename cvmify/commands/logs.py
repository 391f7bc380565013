"""`cvmify logs [-f] CONTAINER`: what the app wrote, stdout to stdout and
stderr (with cvmify's own warnings) to stderr, as `docker logs` does.
With -f, keep printing what comes until the container ends."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from cvmify.containers.store import RUNNING, Store

FOLLOW_INTERVAL = 0.2  # seconds between looks at a running container's logs


@dataclass
class LogsResult:
    stdout: bytes
    stderr: bytes
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"stdout": self.stdout.decode("utf-8", "replace"), "stderr": self.stderr.decode("utf-8", "replace")}

    def text_lines(self) -> list[str]:
        return []  # written as bytes by show_logs


def _read_from(path: Path, offset: int) -> bytes:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read()
    except FileNotFoundError:
        return b""


def read_logs(state_dir: Path, ref: str) -> LogsResult:
    c = Store(state_dir).find(ref)
    return LogsResult(_read_from(c.log_path("stdout"), 0), _read_from(c.log_path("stderr"), 0))


def show_logs(state_dir: Path, ref: str, out: BinaryIO, err: BinaryIO, follow: bool = False) -> LogsResult:
    """Copy the logs to out and err (following them with `follow`)."""
    store = Store(state_dir)
    c = store.find(ref)
    offsets = {"stdout": 0, "stderr": 0}
    while True:
        running = follow and c.state == RUNNING  # looked at before the last read: nothing is missed
        for stream, sink in (("stdout", out), ("stderr", err)):
            data = _read_from(c.log_path(stream), offsets[stream])
            if data:
                sink.write(data)
                sink.flush()
                offsets[stream] += len(data)
        if not running:
            return LogsResult(b"", b"")
        time.sleep(FOLLOW_INTERVAL)
        c = store.load(c.directory) or c
