"""The app's stdin, stdout and stderr as `docker run` makes them, through
the real path (our stdio -> the launcher -> QEMU's UARTs -> the kernel ->
the app), each compared with `docker run` of the same image:

- no -t: none of fds 0/1/2 is a tty; without -i stdin is /dev/null, with
  -i it is our stdin, byte for byte, ending where ours ends;
- -t: the app has a terminal (echo, CR NL on output, the host terminal's
  size, SIGWINCH when it changes); -t -i puts our terminal in raw mode.

The relay is also tested alone, with a real pseudo-terminal.
"""

from __future__ import annotations

import fcntl
import io
import os
import struct
import subprocess
import sys
import termios
import threading
import time
import tty
from pathlib import Path

import pytest

from cvmify.launch.stdin_relay import relay_stdin
from tests.docker_run import docker_run
from tests.guest import REPO_ROOT, RUN_TIMEOUT, build_bundle, program, shell

# Lines of several sizes, CR, NUL, ^D and DEL bytes, and no final newline:
# without a terminal nothing is interpreted.
CAT_INPUT = (b"first line\r\n\n\x00\x04\x7f\x15 tabs\t\n" + b"0123456789" * 1000 + b"\n"
             + b"".join(b"line %d\n" % i for i in range(500)) + b"last line, no newline")


def cvmify_run(bundle: Path, *flags: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """`cvmify run BUNDLE --accel tcg FLAGS` with `stdin` piped in (None: /dev/null)."""
    return subprocess.run(
        [sys.executable, "-m", "cvmify", "run", str(bundle), "--accel", "tcg", *flags],
        input=stdin, stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True, timeout=RUN_TIMEOUT, cwd=REPO_ROOT)


def python(script: str) -> dict:
    return {"loader": {"argv": ["/usr/bin/python3", "-c", script]}}


# -- the relay alone ---------------------------------------------------------------


class Sink(io.BytesIO):
    """QEMU's stdin, as the relay sees it."""

    def __init__(self) -> None:
        super().__init__()
        self.closed_by_relay = False

    def close(self) -> None:  # keep the bytes readable after the relay closes it
        self.closed_by_relay = True


def test_relay_passes_bytes_unchanged_and_reports_the_count():
    sink, ended = Sink(), []
    relay_stdin(io.BytesIO(CAT_INPUT), sink, ended.append)
    assert sink.getvalue() == CAT_INPUT and sink.closed_by_relay
    assert ended == [len(CAT_INPUT)]
    sink, ended = Sink(), []
    relay_stdin(io.BytesIO(b""), sink, ended.append)
    assert (sink.getvalue(), ended) == (b"", [0])


def test_relay_from_a_raw_terminal_passes_keystrokes_as_typed():
    """A real pseudo-terminal in raw mode (as `cvmify run -t -i` sets it):
    ^C and ^D are bytes for the guest's tty; a hang-up ends the relay."""
    master, slave = os.openpty()
    tty.setraw(slave)
    sink, ended = Sink(), []
    source = os.fdopen(slave, "rb", buffering=0)
    thread = threading.Thread(target=relay_stdin, args=(source, sink, ended.append), daemon=True)
    thread.start()
    os.write(master, b"typed\r\x03\x04")
    for _ in range(600):  # a guard against a hang, not a timing check
        if sink.getvalue() == b"typed\r\x03\x04":
            break
        time.sleep(0.05)
    os.close(master)  # the slave side now reads EIO: the relay stops
    thread.join(30)
    assert sink.getvalue() == b"typed\r\x03\x04"
    assert not thread.is_alive() and sink.closed_by_relay
    source.close()


# -- without -t: plain streams, compared with docker run -----------------------------

ISATTY = "for fd in 0 1 2; do if test -t $fd; then echo tty$fd; else echo no$fd; fi; done; tty; echo rc=$?"


@pytest.fixture(scope="module")
def busybox_bundles(busybox_image, kernel, tmp_path_factory) -> dict[str, Path]:
    """One bundle per program, built once for the module."""
    manifests = {
        "wc": program("/bin/wc", "-l"),
        "cat": program("/bin/cat"),
        "isatty": shell(ISATTY),
        "stdin-link": shell("readlink /proc/self/fd/0; wc -c"),
    }
    return {name: build_bundle(busybox_image, kernel, tmp_path_factory.mktemp(name), manifest)
            for name, manifest in manifests.items()}


@pytest.mark.parametrize("flags", [(), ("-i",)])
def test_wc_counts_piped_lines_only_with_i(busybox_bundles, busybox_image, flags):
    run = cvmify_run(busybox_bundles["wc"], *flags, stdin=b"a\nb\n")
    docker = docker_run(busybox_image, "-l", flags=flags, stdin=b"a\nb\n", entrypoint="/bin/wc")
    assert (run.returncode, run.stdout.split()) == (docker.returncode, docker.stdout.encode().split())
    assert run.stdout.split() == ([b"2"] if flags else [b"0"])


def test_cat_round_trips_input_byte_exactly(busybox_bundles, busybox_image):
    run = cvmify_run(busybox_bundles["cat"], "-i", stdin=CAT_INPUT)
    assert run.returncode == 0, run.stderr
    assert run.stdout == CAT_INPUT
    docker = subprocess.run(["docker", "run", "--rm", "-i", "--network", "none", "--entrypoint", "/bin/cat",
                             busybox_image], input=CAT_INPUT, capture_output=True, timeout=RUN_TIMEOUT)
    assert docker.stdout == CAT_INPUT


@pytest.mark.parametrize("flags", [(), ("-i",)])
def test_no_fd_is_a_tty_without_t(busybox_bundles, busybox_image, flags):
    run = cvmify_run(busybox_bundles["isatty"], *flags, stdin=b"")
    docker = docker_run(busybox_image, "-c", ISATTY, flags=flags, stdin=b"", entrypoint="/bin/sh")
    assert run.stdout.decode() == docker.stdout == "no0\nno1\nno2\nnot a tty\nrc=1\n"
    assert run.returncode == docker.returncode == 0


def test_stdin_is_dev_null_without_i(busybox_bundles):
    run = cvmify_run(busybox_bundles["stdin-link"], stdin=b"ignored input\n")
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [b"/dev/null", b"0"]
    run = cvmify_run(busybox_bundles["stdin-link"], "-i", stdin=b"read\n")
    assert run.stdout.split()[1:] == [b"5"] and run.stdout.startswith(b"pipe:[")


READ_ALL = """
import sys
data = sys.stdin.buffer.read()
print(len(data), repr(data[-13:]), [f.isatty() for f in (sys.stdin, sys.stdout, sys.stderr)])
"""


def test_python_reads_stdin_to_its_end(python3_image, kernel, tmp_path):
    bundle = build_bundle(python3_image, kernel, tmp_path, python(READ_ALL))
    data = b"x" * 5000 + b"\r\nend of input\n"
    run = cvmify_run(bundle, "-i", stdin=data)
    docker = docker_run(python3_image, "-c", READ_ALL, flags=("-i",), stdin=data, entrypoint="/usr/bin/python3")
    assert run.returncode == docker.returncode == 0, run.stderr
    assert run.stdout.decode() == docker.stdout == "5015 b'end of input\\n' [False, False, False]\n"


# -- -t: a terminal -------------------------------------------------------------------

TTY_REPORT = "for fd in 0 1 2; do if test -t $fd; then echo tty$fd; fi; done; stty size; echo done"


def test_t_without_a_host_terminal_is_still_a_tty(busybox_image, kernel, tmp_path):
    """Like docker -t with stdout a pipe: every fd is a tty, output gets
    CR NL, and the size is 0 x 0 (stty size fails)."""
    bundle = build_bundle(busybox_image, kernel, tmp_path, shell(TTY_REPORT))
    run = cvmify_run(bundle, "-t")
    docker = docker_run(busybox_image, "-c", TTY_REPORT, flags=("-t",), entrypoint="/bin/sh")
    assert run.returncode == docker.returncode == 0
    assert run.stdout.decode().replace("stty: standard input: ", "stty: ") == \
        docker.stdout.replace("stty: standard input: ", "stty: ")
    assert run.stdout.startswith(b"tty0\r\ntty1\r\ntty2\r\n")


def test_t_and_i_need_a_terminal_on_stdin(busybox_bundles):
    run = cvmify_run(busybox_bundles["cat"], "-t", "-i", stdin=b"x")
    assert run.returncode == 2
    assert b"the input device is not a TTY" in run.stderr


class Pty:
    """`cvmify run` on a real pseudo-terminal (its controlling terminal,
    so it gets SIGWINCH), with everything it prints collected."""

    def __init__(self, argv: list[str], rows: int = 30, cols: int = 100):
        self.master, slave = os.openpty()
        self.resize(rows, cols)
        self.slave = slave  # kept to watch the terminal's mode
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, cwd=REPO_ROOT, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        self.output = b""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            self.output += data

    def resize(self, rows: int, cols: int) -> None:
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def wait_for(self, what: bytes) -> None:
        for _ in range(RUN_TIMEOUT * 10):  # a guard against a hang, not a timing check
            if what in self.output or self.proc.poll() is not None:
                break
            time.sleep(0.1)
        assert what in self.output, self.output

    def wait_raw(self) -> None:
        for _ in range(RUN_TIMEOUT * 10):
            if not termios.tcgetattr(self.slave)[3] & termios.ICANON:
                return
            time.sleep(0.1)
        raise AssertionError("cvmify run never put the terminal in raw mode")

    def finish(self) -> int:
        status = self.proc.wait(timeout=RUN_TIMEOUT)
        os.close(self.slave)
        self.reader.join(30)
        os.close(self.master)
        return status


def run_args(bundle: Path, *flags: str) -> list[str]:
    return [sys.executable, "-m", "cvmify", "run", str(bundle), "--accel", "tcg", *flags]


def test_cat_on_a_terminal_echoes_and_ends_at_the_users_eof(busybox_bundles):
    pty = Pty(run_args(busybox_bundles["cat"], "-t", "-i"))
    pty.wait_raw()
    assert pty.proc.poll() is None
    os.write(pty.master, b"typed line\r")
    pty.wait_for(b"typed line\r\ntyped line\r\n")  # the guest's echo, then cat's copy
    os.write(pty.master, b"\x04")  # ^D at the start of a line: end of file
    assert pty.finish() == 0


TERMINAL = """
import os, select, signal, sys, termios, fcntl, struct
t = termios.tcgetattr(0)
rows, cols = struct.unpack("HHHH", fcntl.ioctl(1, termios.TIOCGWINSZ, b"\\0" * 8))[:2]
print("isatty", [os.isatty(fd) for fd in (0, 1, 2)], "icanon", bool(t[3] & termios.ICANON),
      "echo", bool(t[3] & termios.ECHO), "size", rows, cols, flush=True)
got = []
signal.signal(signal.SIGWINCH, lambda *a: got.append(1))
print("ready", flush=True)
while not got:
    select.select([], [], [], 0.05)
rows, cols = struct.unpack("HHHH", fcntl.ioctl(1, termios.TIOCGWINSZ, b"\\0" * 8))[:2]
print("winch", rows, cols, flush=True)
print("line", repr(sys.stdin.readline()), flush=True)
"""


def test_python_gets_a_terminal_its_size_and_sigwinch(python3_image, kernel, tmp_path):
    bundle = build_bundle(python3_image, kernel, tmp_path, python(TERMINAL))
    pty = Pty(run_args(bundle, "-t", "-i"), rows=30, cols=100)
    pty.wait_for(b"ready")
    pty.resize(40, 120)  # the host kernel sends cvmify run SIGWINCH
    pty.wait_for(b"winch")
    os.write(pty.master, b"hello\r")
    status = pty.finish()
    text = pty.output.decode(errors="replace")
    assert status == 0, text
    assert "isatty [True, True, True] icanon True echo True size 30 100\r\n" in text
    assert "winch 40 120\r\n" in text
    assert "line 'hello\\n'\r\n" in text


def test_host_terminal_is_restored_after_t_i(busybox_bundles):
    master, slave = os.openpty()
    try:
        before = termios.tcgetattr(slave)
        proc = subprocess.run(run_args(busybox_bundles["isatty"], "-t", "-i"), stdin=slave,
                              capture_output=True, timeout=RUN_TIMEOUT, cwd=REPO_ROOT)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(b"tty0\r\ntty1\r\ntty2\r\n")
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)


# -- issue 8's case: jq colours only a terminal ------------------------------------------


@pytest.mark.parametrize("flags", [(), ("-t",)])
def test_jq_colours_its_output_only_on_a_terminal_like_docker(image_tag, kernel, tmp_path, flags):
    image = image_tag("jq")
    bundle = build_bundle(image, kernel, tmp_path, {})
    ours = cvmify_run(bundle, *flags)
    theirs = subprocess.run(["docker", "run", "--rm", "--network", "none", *flags, image],
                            capture_output=True, timeout=RUN_TIMEOUT)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), ours.stderr
    assert (b"\x1b[" in ours.stdout) == bool(flags)
