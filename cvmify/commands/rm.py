"""`cvmify rm [-f] CONTAINER...`: forget ended containers and their logs;
a running one only with -f (it is killed first), as `docker rm`."""

from __future__ import annotations

from pathlib import Path

from cvmify.commands.stop import kill
from cvmify.containers.store import RUNNING, Store
from cvmify.errors import UsageError
from cvmify.result import RemovedResult



def remove_containers(state_dir: Path, refs: list[str], force: bool = False) -> RemovedResult:
    store = Store(state_dir)
    containers = [store.find(ref) for ref in refs]
    running = [ref for ref, c in zip(refs, containers) if c.state == RUNNING]
    if running and not force:
        raise UsageError(f"container {running[0]} is running: stop it first, or use rm -f")
    for c in containers:
        if c.state == RUNNING:
            kill(store, c)
        store.remove(c)
    return RemovedResult(list(refs))
