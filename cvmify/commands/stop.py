"""`cvmify stop [-t SECONDS] CONTAINER...`: as `docker stop`.

The container's stop signal (the image's STOPSIGNAL, else SIGTERM) goes
to the process supervising its VM, which forwards it to the app (sig-
proxy). If the container still runs after the timeout (-t, else the
run's --stop-timeout), its supervisor is killed, which takes QEMU with
it (PR_SET_PDEATHSIG), and the container ends with status 137.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cvmify.containers.store import DEAD, RUNNING, Container, Store
from cvmify.launch.signals import PROXIED

POLL = 0.1  # seconds
KILLED_STATUS = 128 + signal.SIGKILL


@dataclass
class StopResult:
    stopped: list[str]  # the names, as given
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"stopped": self.stopped}

    def text_lines(self) -> list[str]:
        return list(self.stopped)


def _signal_number(name: str) -> int:
    try:
        return int(signal.Signals[name if name.startswith("SIG") else f"SIG{name}"])
    except KeyError:
        return int(signal.SIGTERM)


def wait_gone(c: Container, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while c.state == RUNNING and time.monotonic() < deadline:
        time.sleep(POLL)
    return c.state != RUNNING


def kill(store: Store, c: Container) -> None:
    """End the supervisor at once; record 137 if it could not record anything."""
    if c.state == RUNNING:  # never a pid the system gave to someone else since
        try:
            os.kill(c.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_gone(c, 10)
    fresh = store.load(c.directory) or c
    if fresh.finished is None:
        fresh.exit_code, fresh.finished = KILLED_STATUS, time.time()
        store.save(fresh)


def stop_one(store: Store, c: Container, timeout: float | None) -> None:
    if c.state == DEAD and c.finished is None:  # its supervisor died unrecorded
        kill(store, c)
    if c.state != RUNNING:
        return
    signo = _signal_number(c.stop_signal)
    if signo not in PROXIED:
        kill(store, c)
        return
    try:
        os.kill(c.pid, signo)
    except ProcessLookupError:
        pass
    if not wait_gone(c, c.stop_timeout if timeout is None else timeout):
        kill(store, c)


def stop_containers(state_dir: Path, refs: list[str], timeout: float | None = None) -> StopResult:
    store = Store(state_dir)
    containers = [store.find(ref) for ref in refs]  # all known before any is stopped
    for c in containers:
        stop_one(store, c, timeout)
    return StopResult(list(refs))
