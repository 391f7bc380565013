"""Run QEMU, stream the guest's consoles, and turn the result into a status.

Streams (see docs/launch.md for why):
- COM1 is QEMU's stdio: we write the app's stdin into QEMU's stdin pipe
  from a small relay thread (stdin_relay.py: it also sends the guest tty
  its end of file, ^D) and copy QEMU's stdout to our stdout;
- COM2 and COM3 are `file` chardevs on `/dev/fd/N`, the write ends of two
  pipes passed to QEMU; we copy COM2 to our stderr and parse COM3;
- QEMU's own stderr is kept for error messages.
All read ends are served by one selector loop in the calling thread.

QEMU runs in its own process group (a terminal's Ctrl-C reaches only us)
with PR_SET_PDEATHSIG, so it dies with us; on Ctrl-C or any error we stop
it with SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import os
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import BinaryIO, Callable

from cvmify.errors import GuestFailureError, LaunchError
from cvmify.launch.control import ControlState, LineSplitter
from cvmify.launch.qemu import EXIT_APP, EXIT_PANIC, Consoles
from cvmify.launch.stdin_relay import relay_stdin

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
STOP_GRACE_SECONDS = 5.0
READ_SIZE = 65536


@dataclass
class QemuRun:
    """What happened, before any interpretation."""

    returncode: int
    control: ControlState
    qemu_stderr: list[str]
    timed_out: bool = False


def _child_setup(parent_pid: int) -> Callable[[], None]:
    def setup() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return setup


def spawn(argv: list[str], pass_fds: tuple[int, ...]) -> subprocess.Popen:
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=pass_fds,
            process_group=0,
            preexec_fn=_child_setup(os.getpid()),
        )
    except FileNotFoundError as e:
        raise LaunchError(f"QEMU not found: {argv[0]} (install qemu-system-x86 or set $CVMIFY_QEMU)") from e
    except OSError as e:
        raise LaunchError(f"cannot start {argv[0]}: {e.strerror}") from e


def stop(proc: subprocess.Popen, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL; always reaps."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log.warning("QEMU did not stop after SIGTERM; killing it")
        proc.kill()
        proc.wait()


class _Sink:
    """One output stream; a reader that went away (EPIPE) is dropped quietly."""

    def __init__(self, stream: BinaryIO):
        self.stream: BinaryIO | None = stream

    def write(self, data: bytes) -> None:
        if self.stream is None:
            return
        try:
            self.stream.write(data)
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            self.stream = None


def run_qemu(
    make_argv: Callable[[Consoles], list[str]],
    stdin: BinaryIO | None,
    stdout: BinaryIO,
    stderr: BinaryIO,
    timeout: float | None = None,
) -> QemuRun:
    """Start QEMU with argv from `make_argv(consoles)`, stream until it exits."""
    com2_r, com2_w = os.pipe()
    com3_r, com3_w = os.pipe()
    try:
        argv = make_argv(Consoles(com2=f"/dev/fd/{com2_w}", com3=f"/dev/fd/{com3_w}"))
        log.info("starting: %s", " ".join(argv))
        proc = spawn(argv, pass_fds=(com2_w, com3_w))
    except BaseException:
        for fd in (com2_r, com2_w, com3_r, com3_w):
            os.close(fd)
        raise
    os.close(com2_w)
    os.close(com3_w)
    try:
        return _stream(proc, com2_r, com3_r, stdin, stdout, stderr, timeout)
    finally:
        stop(proc)
        for f in (proc.stdout, proc.stderr):
            if f is not None:
                f.close()
        for fd in (com2_r, com3_r):
            try:
                os.close(fd)
            except OSError:
                pass


def _stream(proc, com2_r, com3_r, stdin, stdout, stderr, timeout) -> QemuRun:
    threading.Thread(target=relay_stdin, args=(stdin, proc.stdin), daemon=True).start()
    control = ControlState()
    kernel_lines = LineSplitter()
    qemu_lines = LineSplitter()
    qemu_err: collections.deque[str] = collections.deque(maxlen=20)
    out_sink, err_sink = _Sink(stdout), _Sink(stderr)
    handlers = {
        proc.stdout.fileno(): out_sink.write,
        com2_r: err_sink.write,
        com3_r: lambda data: [control.feed(line) for line in kernel_lines.feed(data)],
        proc.stderr.fileno(): lambda data: qemu_err.extend(qemu_lines.feed(data)),
    }
    deadline = None if timeout is None else time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        for fd in handlers:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map():
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            for key, _ in sel.select(wait):
                data = os.read(key.fd, READ_SIZE)
                if data:
                    handlers[key.fd](data)
                else:
                    sel.unregister(key.fd)
            if deadline is not None and time.monotonic() >= deadline:
                stop(proc)
                return QemuRun(proc.wait(), control, list(qemu_err), timed_out=True)
    for line in kernel_lines.close():
        control.feed(line)
    qemu_err.extend(qemu_lines.close())
    return QemuRun(proc.wait(), control, list(qemu_err))


def app_status(run: QemuRun) -> int:
    """The exit status `cvmify run` returns, or GuestFailureError/LaunchError."""
    control = run.control
    if run.returncode == EXIT_APP and control.exit_status is not None:
        return control.exit_status
    if run.returncode == EXIT_APP and control.signal is not None:
        return 128 + control.signal
    _log_tail(run)
    if control.panic is not None:
        raise GuestFailureError(f"guest kernel panic: {control.panic}")
    if run.timed_out:
        raise GuestFailureError("the guest did not finish in time; QEMU was stopped")
    if run.returncode == EXIT_PANIC:
        raise GuestFailureError("guest kernel failed (panic exit without a panic line)")
    if not control.tail and run.qemu_stderr:
        raise LaunchError(f"QEMU failed to start: {run.qemu_stderr[-1]}")
    detail = f": {run.qemu_stderr[-1]}" if run.qemu_stderr else ""
    raise GuestFailureError(f"QEMU exited with status {run.returncode} before the app reported an exit status{detail}")


def _log_tail(run: QemuRun) -> None:
    """The last kernel log lines, visible with -v or --debug."""
    if run.control.tail:
        log.info("last kernel log lines:\n%s", "\n".join(run.control.tail))
    for line in run.qemu_stderr:
        log.info("qemu: %s", line)
