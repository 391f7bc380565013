"""`cvmify run --name NAME` and `cvmify run -d`: a run that `cvmify ps`,
`logs`, `stop` and `rm` know about (cvmify/containers/store.py).

- Foreground with --name: `cvmify run` itself supervises the VM; the
  app's output goes to our stdout and stderr and into the container's
  logs as well.
- Detached (-d): after planning (so a bad flag is still an error here),
  we fork a child that leaves our session, takes /dev/null as stdin and
  the logs as stdout and stderr, runs the VM and records how it ended;
  we print the container id and exit 0, as `docker run -d` does.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable

from cvmify.containers.store import Container, Store, process_start
from cvmify.launch.signals import PROXIED

log = logging.getLogger(__name__)


@dataclass
class DetachedResult:
    container: Container
    warnings: list[str] = field(default_factory=list)
    status: int = 0  # what `cvmify run -d` exits with

    def to_json(self) -> dict[str, Any]:
        return {"id": self.container.id, "name": self.container.name}

    def text_lines(self) -> list[str]:
        return [self.container.id]


class Tee:
    """Writes to a stream and to a log file; the stream may go away."""

    def __init__(self, stream: BinaryIO, log_file: BinaryIO):
        self.stream, self.log_file = stream, log_file

    def write(self, data: bytes) -> int:
        self.log_file.write(data)
        self.log_file.flush()
        self.stream.write(data)
        return len(data)

    def flush(self) -> None:
        self.stream.flush()

    def fileno(self) -> int:  # the terminal's size for -t is the stream's
        return self.stream.fileno()


def finish(store: Store, container: Container, run: Callable[[], int]) -> int:
    """Run, then record the status (or the error) in the container."""
    status, error = 1, None
    try:
        status = run()
        return status
    except BaseException as e:  # recorded, then passed on
        error = getattr(e, "message", None) or type(e).__name__
        raise
    finally:
        container.exit_code = status if error is None else None
        container.error = error
        container.finished = time.time()
        store.save(container)


def supervise_foreground(store: Store, container: Container, stdout: BinaryIO, stderr: BinaryIO,
                         run: Callable[[BinaryIO, BinaryIO], int]) -> int:
    with open(container.log_path("stdout"), "ab") as out_log, open(container.log_path("stderr"), "ab") as err_log:
        return finish(store, container, lambda: run(Tee(stdout, out_log), Tee(stderr, err_log)))


def start_detached(store: Store, container: Container, run: Callable[[BinaryIO, BinaryIO], int]) -> DetachedResult:
    """Fork the supervisor; in the parent, return at once."""
    sys.stdout.flush()
    sys.stderr.flush()
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid > 0:
        os.close(ready_r)
        container.pid, container.pid_start = pid, process_start(pid)
        try:
            store.save(container)
        finally:
            os.close(ready_w)  # the child goes on once the record names it
        return DetachedResult(container)
    os.close(ready_w)
    os.read(ready_r, 1)
    os.close(ready_r)
    _become_daemon(container)
    code = 1
    try:
        container.pid, container.pid_start = os.getpid(), process_start(os.getpid())
        code = finish(store, container, lambda: run(sys.stdout.buffer, sys.stderr.buffer))
    except BaseException as e:  # the child must never return into the CLI
        log.error("%s", getattr(e, "message", None) or e)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code & 0xFF)


def _become_daemon(container: Container) -> None:
    # A stop that comes before the run forwards signals waits, pending,
    # instead of killing the supervisor (launch/signals.py unblocks them).
    signal.pthread_sigmask(signal.SIG_BLOCK, PROXIED)
    os.setsid()
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(container.log_path("stdout"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    err = os.open(container.log_path("stderr"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    for fd, target in ((null, 0), (out, 1), (err, 2)):
        os.dup2(fd, target)
        os.close(fd)
