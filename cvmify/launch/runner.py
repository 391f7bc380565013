"""Run QEMU, stream the guest's consoles, and turn the result into a status.

Streams (see docs/launch.md for why):
- COM1 is QEMU's stdio: with -i our stdin goes into QEMU's stdin pipe
  from a small relay thread (stdin_relay.py), otherwise QEMU's stdin is
  /dev/null; QEMU's stdout is copied to our stdout;
- COM2 and COM3 are `file` chardevs on `/dev/fd/N`, the write ends of two
  pipes passed to QEMU; we copy COM2 to our stderr and keep the tail of
  COM3, the kernel log, for error reports;
- COM4 is the control channel (control.py): one end of a socketpair
  passed to QEMU as a `socket` chardev; the guest's exit status comes
  from there, and our requests (signals, window size, end of stdin) go
  there;
- QEMU's own stderr is kept for error messages.
All read ends are served by one selector loop in the calling thread,
which also forwards the signals a SignalProxy caught (docker's
sig-proxy) and enforces the stop timeout.

QEMU runs in its own process group (a terminal's Ctrl-C reaches only us)
with PR_SET_PDEATHSIG, so it dies with us; on any error we stop it with
SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import os
import selectors
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import BinaryIO, Callable

from cvmify.errors import GuestFailureError, LaunchError
from cvmify.launch import control as ctl
from cvmify.launch.control import ControlLink, ControlState, LineSplitter
from cvmify.launch.qemu import EXIT_APP, EXIT_PANIC, Consoles
from cvmify.launch.signals import DEFAULT_STOP_TIMEOUT, STOPPING, SignalProxy
from cvmify.launch.stdin_relay import relay_stdin

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
STOP_GRACE_SECONDS = 5.0
READ_SIZE = 65536
KILLED_STATUS = 128 + signal.SIGKILL  # the app did not stop in time: as docker's SIGKILL


@dataclass
class QemuRun:
    """What happened, before any interpretation."""

    returncode: int
    control: ControlState
    qemu_stderr: list[str]
    timed_out: bool = False
    stopped: int | None = None  # we stopped the VM: the status to report (137, 130)
    forwarded: list[int] = field(default_factory=list)  # signals passed to the guest


@dataclass
class Session:
    """What a run does besides streaming: docker's sig-proxy and terminal."""

    proxy: SignalProxy | None = None
    stop_timeout: float = DEFAULT_STOP_TIMEOUT
    window_size: Callable[[], tuple[int, int] | None] | None = None  # -t: the host terminal's size


def _child_setup(parent_pid: int) -> Callable[[], None]:
    def setup() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return setup


def spawn(argv: list[str], pass_fds: tuple[int, ...], attach_stdin: bool = True) -> subprocess.Popen:
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if attach_stdin else subprocess.DEVNULL,
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
    session: Session | None = None,
) -> QemuRun:
    """Start QEMU with argv from `make_argv(consoles)`, stream until it
    exits. `stdin` None: the app's stdin is not attached (docker without
    -i); otherwise it is relayed and its end announced to the guest."""
    com2_r, com2_w = os.pipe()
    com3_r, com3_w = os.pipe()
    ours, theirs = socket.socketpair()
    try:
        consoles = Consoles(com2=f"/dev/fd/{com2_w}", com3=f"/dev/fd/{com3_w}",
                            control=f"socket,fd={theirs.fileno()}")
        argv = make_argv(consoles)
        log.info("starting: %s", " ".join(argv))
        proc = spawn(argv, pass_fds=(com2_w, com3_w, theirs.fileno()), attach_stdin=stdin is not None)
    except BaseException:
        for fd in (com2_r, com2_w, com3_r, com3_w):
            os.close(fd)
        ours.close()
        theirs.close()
        raise
    os.close(com2_w)
    os.close(com3_w)
    theirs.close()
    link = ControlLink(ours, ControlState())
    try:
        return _Loop(proc, link, com2_r, com3_r, stdin, stdout, stderr, timeout, session or Session()).run()
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
        link.close()


class _Loop:
    """The selector loop of one run."""

    def __init__(self, proc, link: ControlLink, com2_r: int, com3_r: int, stdin, stdout, stderr,
                 timeout: float | None, session: Session):
        self.proc, self.link, self.session = proc, link, session
        self.control = link.state
        self.stdin = stdin
        self.kernel_lines, self.qemu_lines = LineSplitter(), LineSplitter()
        self.qemu_err: collections.deque[str] = collections.deque(maxlen=20)
        out_sink, err_sink = _Sink(stdout), _Sink(stderr)
        self.handlers: dict[int, Callable[[bytes], None]] = {
            proc.stdout.fileno(): out_sink.write,
            com2_r: err_sink.write,
            com3_r: lambda data: [self.control.log_line(line) for line in self.kernel_lines.feed(data)],
            proc.stderr.fileno(): lambda data: self.qemu_err.extend(self.qemu_lines.feed(data)),
        }
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.stop_at: float | None = None  # the stop clock (--stop-timeout)
        self.stop_signal = 0
        self.interrupted = False  # a second SIGINT: stop at once
        self.forwarded: list[int] = []

    def run(self) -> QemuRun:
        if self.stdin is not None:
            threading.Thread(target=relay_stdin, daemon=True,
                             args=(self.stdin, self.proc.stdin, self._stdin_ended)).start()
        self._send_window_size()
        proxy = self.session.proxy
        with selectors.DefaultSelector() as sel:
            for fd in self.handlers:
                sel.register(fd, selectors.EVENT_READ)
            sel.register(self.link.fileno(), selectors.EVENT_READ)
            if proxy is not None:
                sel.register(proxy.wake_r, selectors.EVENT_READ)
            while len(sel.get_map()) > (1 if proxy is not None else 0):
                for key, _ in sel.select(self._wait()):
                    if proxy is not None and key.fd == proxy.wake_r:
                        self._signals(proxy.take())
                    elif key.fd == self.link.fileno():
                        if not self.link.receive():
                            sel.unregister(key.fd)
                    elif data := os.read(key.fd, READ_SIZE):
                        self.handlers[key.fd](data)
                    else:
                        sel.unregister(key.fd)
                ended = self._deadlines()
                if ended is not None:
                    return ended
        for line in self.kernel_lines.close():
            self.control.log_line(line)
        self.qemu_err.extend(self.qemu_lines.close())
        return QemuRun(self.proc.wait(), self.control, list(self.qemu_err), forwarded=self.forwarded)

    def _wait(self) -> float | None:
        times = [t for t in (self.deadline, self.stop_at) if t is not None]
        return None if not times else max(0.0, min(times) - time.monotonic())

    def _deadlines(self) -> QemuRun | None:
        now = time.monotonic()
        if self.interrupted:
            log.warning("interrupted again: stopping the VM")
            return self._stop_now(stopped=128 + signal.SIGINT)
        if self.deadline is not None and now >= self.deadline:
            return self._stop_now(timed_out=True)
        if self.stop_at is not None and now >= self.stop_at:
            log.warning("the app did not exit within %g s of signal %d; stopping the VM",
                        self.session.stop_timeout, self.stop_signal)
            return self._stop_now(stopped=KILLED_STATUS)
        return None

    def _stop_now(self, timed_out: bool = False, stopped: int | None = None) -> QemuRun:
        stop(self.proc)
        return QemuRun(self.proc.wait(), self.control, list(self.qemu_err), timed_out=timed_out,
                       stopped=stopped, forwarded=self.forwarded)

    def _signals(self, received: list[int]) -> None:
        for signo in received:
            if signo == signal.SIGWINCH:
                self._send_window_size()
                continue
            if signo == signal.SIGINT and self.stop_signal == signal.SIGINT:
                self.interrupted = True
                continue
            self.link.send(ctl.signal_request(signo))
            self.forwarded.append(signo)
            log.info("signal %d forwarded to the app", signo)
            if signo in STOPPING and self.stop_at is None:
                self.stop_signal = signo
                self.stop_at = time.monotonic() + self.session.stop_timeout

    def _send_window_size(self) -> None:
        size = self.session.window_size() if self.session.window_size else None
        if size is not None:
            self.link.send(ctl.winsize_request(*size))

    def _stdin_ended(self, count: int) -> None:
        self.link.send(ctl.stdin_eof_request(count))


def app_status(run: QemuRun) -> int:
    """The exit status `cvmify run` returns, or GuestFailureError/LaunchError."""
    control = run.control
    if run.returncode == EXIT_APP and control.exit_status is not None:
        return control.exit_status
    if run.returncode == EXIT_APP and control.signal is not None:
        return 128 + control.signal
    if run.stopped is not None:
        return run.stopped
    _log_tail(run)
    if control.panic is not None:
        raise GuestFailureError(f"guest kernel panic: {control.panic}")
    if run.timed_out:
        raise GuestFailureError("the guest did not finish in time; QEMU was stopped")
    if run.returncode == EXIT_PANIC:
        raise GuestFailureError("guest kernel failed (panic exit without a panic message)")
    if not control.tail and not control.hello and run.qemu_stderr:
        raise LaunchError(f"QEMU failed to start: {run.qemu_stderr[-1]}")
    detail = f": {run.qemu_stderr[-1]}" if run.qemu_stderr else ""
    raise GuestFailureError(f"QEMU exited with status {run.returncode} before the app reported an exit status{detail}")


def _log_tail(run: QemuRun) -> None:
    """The last kernel log lines, visible with -v or --debug."""
    if run.control.tail:
        log.info("last kernel log lines:\n%s", "\n".join(run.control.tail))
    for line in run.qemu_stderr:
        log.info("qemu: %s", line)
