"""The app's console tty and its end of file, through the real path: our
stdin -> the launcher's relay (which sends ^D at our EOF) -> QEMU's COM1
-> the kernel's line discipline -> the app's fd 0.

Also the relay alone: what it sends for a pipe, for no stdin, and for a
terminal (a real pseudo-terminal), where the user types ^D.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cvmify.launch.stdin_relay import EOF_CHAR, eof_sequence, relay_stdin
from tests.guest import REPO_ROOT, RUN_TIMEOUT, build_bundle, program

# Lines of several sizes, an empty one, one longer than the guest tty's
# 4096-byte line buffer, and a last line without a newline.
CAT_INPUT = (b"first line\n\n  spaces and\ttabs  \n" + b"0123456789" * 1000 + b"\n"
             + b"".join(b"line %d\n" % i for i in range(500)) + b"last line, no newline")


def run_with_stdin(bundle: Path, stdin: bytes | None) -> subprocess.CompletedProcess:
    """`cvmify run BUNDLE --accel tcg` with `stdin` piped in (None: /dev/null)."""
    return subprocess.run(
        [sys.executable, "-m", "cvmify", "run", str(bundle), "--accel", "tcg"],
        input=stdin, stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True, timeout=RUN_TIMEOUT, cwd=REPO_ROOT)


def python(script: str) -> dict:
    return {"loader": {"argv": ["/usr/bin/python3", "-c", script]}}


# -- the relay alone ---------------------------------------------------------------


class Sink(io.BytesIO):
    """QEMU's stdin, as the relay sees it; `done` is set when `until` arrived."""

    def __init__(self, until: bytes = b"") -> None:
        super().__init__()
        self.closed_by_relay = False
        self.until = until
        self.done = threading.Event()

    def write(self, data: bytes) -> int:
        n = super().write(data)
        if self.until and self.getvalue().endswith(self.until):
            self.done.set()
        return n

    def close(self) -> None:  # keep the bytes readable after the relay closes it
        self.closed_by_relay = True


def relay(data: bytes | None) -> bytes:
    sink = Sink()
    relay_stdin(io.BytesIO(data) if data is not None else None, sink)
    assert sink.closed_by_relay
    return sink.getvalue()


def test_relay_ends_piped_input_with_eof():
    assert relay(b"a\nb\n") == b"a\nb\n" + EOF_CHAR
    assert relay(b"") == EOF_CHAR
    assert relay(None) == EOF_CHAR


def test_relay_finishes_an_unterminated_last_line_first():
    assert relay(b"a\nno newline") == b"a\nno newline" + EOF_CHAR + EOF_CHAR
    assert eof_sequence(b"\r") == EOF_CHAR + EOF_CHAR  # CR is a newline only with ICRNL


def test_relay_passes_terminal_keystrokes_and_the_users_eof():
    """A real pseudo-terminal in canonical mode eats the ^D the user types;
    the relay puts it back where it was, and keeps reading after it."""
    master, slave = os.openpty()
    sink = Sink(until=b"after eof\n")
    source = os.fdopen(slave, "rb", buffering=0)
    thread = threading.Thread(target=relay_stdin, args=(source, sink), daemon=True)
    thread.start()
    os.write(master, b"typed line\n")
    os.write(master, b"half" + EOF_CHAR)   # ^D mid-line: "half" without a newline
    os.write(master, EOF_CHAR)             # ^D at the start of a line: EOF
    os.write(master, b"after eof\n")       # a terminal's EOF is not final
    expected = b"typed line\nhalf" + EOF_CHAR + EOF_CHAR + b"after eof\n"
    sink.done.wait(60)  # a guard against a hang, not a timing check
    os.close(master)  # the slave side now reads EIO: the relay stops
    thread.join(10)
    assert sink.getvalue() == expected
    assert not thread.is_alive()
    source.close()


# -- busybox: wc, cat, a program that ignores stdin ---------------------------------


@pytest.fixture(scope="module")
def busybox_bundles(busybox_image, kernel, tmp_path_factory) -> dict[str, Path]:
    """One bundle per program, built once for the module."""
    manifests = {
        "wc": program("/bin/wc", "-l"),
        "cat": program("/bin/cat"),
        "echo": program("/bin/echo", "no stdin read"),
    }
    return {name: build_bundle(busybox_image, kernel, tmp_path_factory.mktemp(name), manifest)
            for name, manifest in manifests.items()}


def test_wc_counts_piped_lines(busybox_bundles):
    run = run_with_stdin(busybox_bundles["wc"], b"a\nb\n")
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [b"2"]


def test_wc_with_empty_input(busybox_bundles):
    run = run_with_stdin(busybox_bundles["wc"], None)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [b"0"]


def test_cat_round_trips_input_byte_exactly(busybox_bundles):
    run = run_with_stdin(busybox_bundles["cat"], CAT_INPUT)
    assert run.returncode == 0, run.stderr
    assert run.stdout == CAT_INPUT


def test_cat_on_a_terminal_ends_at_the_users_eof(busybox_bundles):
    """`cvmify run` with a terminal as stdin: what the user types, with ^D
    mid-line and then at the start of a line, reaches cat as typed."""
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cvmify", "run", str(busybox_bundles["cat"]), "--accel", "tcg"],
            stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT)
        os.close(slave)
        slave = -1
        os.write(master, b"typed line\n")
        os.write(master, b"half" + EOF_CHAR)
        os.write(master, EOF_CHAR)
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
    finally:
        os.close(master)
        if slave != -1:
            os.close(slave)
    assert proc.returncode == 0, err
    assert out == b"typed line\nhalf"


def test_program_that_ignores_stdin_is_unaffected(busybox_bundles):
    for stdin in (b"unread input\n" * 100, b"no newline", None):
        run = run_with_stdin(busybox_bundles["echo"], stdin)
        assert run.returncode == 0, run.stderr
        assert run.stdout == b"no stdin read\n"


# -- python3: sys.stdin.read(), termios and poll ------------------------------------

READ_ALL = """
import sys
data = sys.stdin.read()
print(len(data), repr(data[-13:]), sys.stdin.isatty())
"""

CANONICAL = """
import os, select, termios
t = termios.tcgetattr(0)
print("icanon", bool(t[3] & termios.ICANON), "echo", bool(t[3] & termios.ECHO),
      "icrnl", bool(t[0] & termios.ICRNL))
p = select.poll()
p.register(0, select.POLLIN)
print("poll", p.poll() == [(0, select.POLLIN)])
print(repr(os.read(0, 100)))
print(repr(os.read(0, 100)))
print(repr(os.read(0, 100)))
"""

NON_CANONICAL = """
import os, termios
t = termios.tcgetattr(0)
t[3] &= ~termios.ICANON
t[6][termios.VMIN] = 6
t[6][termios.VTIME] = 0
termios.tcsetattr(0, termios.TCSANOW, t)
print(repr(os.read(0, 6)))
print("icanon", bool(termios.tcgetattr(0)[3] & termios.ICANON))
"""


def test_python_stdin_read_sees_eof(python3_image, kernel, tmp_path):
    bundle = build_bundle(python3_image, kernel, tmp_path, python(READ_ALL))
    run = run_with_stdin(bundle, b"x" * 5000 + b"\nend of input\n")
    assert run.returncode == 0, run.stderr
    assert run.stdout == b"5014 'end of input\\n' True\n"


def test_python_canonical_reads_and_poll(python3_image, kernel, tmp_path):
    """One line per read; ^D ends the unterminated line, then EOF; poll
    reports input only once a whole line is there."""
    bundle = build_bundle(python3_image, kernel, tmp_path, python(CANONICAL))
    run = run_with_stdin(bundle, b"first\r\nsecond")
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode().splitlines() == [
        "icanon True echo False icrnl True", "poll True",
        "b'first\\n'", "b'\\n'", "b'second'"]


def test_python_noncanonical_mode(python3_image, kernel, tmp_path):
    """Without ICANON bytes come as they are, ^D included."""
    bundle = build_bundle(python3_image, kernel, tmp_path, python(NON_CANONICAL))
    run = run_with_stdin(bundle, b"ab\rc")
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode().splitlines() == ["b'ab\\nc\\x04\\x04'", "icanon False"]
