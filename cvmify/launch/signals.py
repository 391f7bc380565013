"""docker's sig-proxy for `cvmify run`: signals sent to us go to the app.

While QEMU runs, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2
sent to `cvmify run` are caught and handed to the runner, which forwards
each to the guest (CONTROL SIGNAL). The terminating ones (INT, TERM, HUP,
QUIT) also start the stop clock: if the app has not exited within
--stop-timeout seconds, the runner stops the VM (status 137, as for
docker's SIGKILL). A second SIGINT while the clock runs stops it at once.
With a terminal, SIGWINCH is caught too and becomes a WINSIZE request.

Python runs signal handlers in the main thread between bytecodes; the
handler only records the signal and writes a byte to a pipe the runner's
selector watches, so the loop wakes up.
"""

from __future__ import annotations

import os
import signal
from types import FrameType

PROXIED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
STOPPING = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT})
DEFAULT_STOP_TIMEOUT = 10.0  # seconds, docker's default


class SignalProxy:
    """Catches the proxied signals (and SIGWINCH if `winch`) between
    `install()` and `restore()`; `take()` hands out what arrived."""

    def __init__(self, winch: bool = False):
        self.signals = PROXIED + ((signal.SIGWINCH,) if winch else ())
        self._received: list[int] = []
        self._saved: dict[int, object] = {}
        self.wake_r, self.wake_w = -1, -1

    def install(self) -> None:
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        for signo in self.signals:
            self._saved[signo] = signal.signal(signo, self._handler)
        # a detached supervisor blocks them until now (commands/supervise.py)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, self.signals)

    def restore(self) -> None:
        for signo, handler in self._saved.items():
            signal.signal(signo, handler)  # type: ignore[arg-type]
        self._saved.clear()
        for fd in (self.wake_r, self.wake_w):
            if fd >= 0:
                os.close(fd)
        self.wake_r = self.wake_w = -1

    def _handler(self, signo: int, frame: FrameType | None) -> None:
        self._received.append(signo)
        try:
            os.write(self.wake_w, b"s")
        except OSError:  # the pipe is full: the loop is awake anyway
            pass

    def take(self) -> list[int]:
        """The signals received since the last call, oldest first."""
        try:
            os.read(self.wake_r, 4096)
        except (BlockingIOError, OSError):
            pass
        received, self._received = self._received, []
        return received
