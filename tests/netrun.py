"""`cvmify run -p` for the network tests: a guest server running under
the real CLI while the test talks to it from the host, then SIGTERM to
`cvmify run` as a user (or docker stop) would send it.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Callable, Iterator

from tests.guest import REPO_ROOT

START_TIMEOUT = 240  # seconds until the guest server answers (TCG, a loaded machine)
STOP_TIMEOUT = 30  # seconds cvmify run may take to end after SIGTERM


@contextmanager
def running(bundle: Path, *run_args: str, ready: Callable[[], bool]) -> Iterator[subprocess.Popen]:
    """`cvmify run BUNDLE --accel tcg RUN_ARGS` until ready() holds; on exit
    SIGTERM and check that it ended (its stdout/stderr are in .out/.err)."""
    proc = subprocess.Popen([sys.executable, "-m", "cvmify", "run", str(bundle), "--accel", "tcg",
                             *run_args], cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready():
            if proc.poll() is not None:
                out, err = proc.communicate()
                raise AssertionError(f"cvmify run ended early ({proc.returncode}):\n"
                                     f"{out.decode(errors='replace')}{err.decode(errors='replace')}")
            if time.monotonic() > deadline:
                raise AssertionError("the guest server never answered")
            time.sleep(0.5)
        yield proc
        proc.children = children_of(proc.pid)  # QEMU, to check it is gone later
        proc.send_signal(signal.SIGTERM)
        proc.out, proc.err = proc.communicate(timeout=STOP_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def tcp_answers(port: int, probe: bytes = b"") -> Callable[[], bool]:
    """ready(): something accepts on 127.0.0.1:port and, given probe, answers.
    (slirp accepts for the guest even when nothing listens there, so a bare
    connect proves nothing: the guest must send bytes back.)"""

    def ready() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.settimeout(5)
                if probe:
                    s.sendall(probe)
                return s.recv(1) != b""
        except OSError:
            return False

    return ready


def children_of(pid: int) -> list[int]:
    """The child processes of pid (Linux /proc)."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def process_gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"  # a zombie holds nothing


def port_is_free(port: int, kind: int = socket.SOCK_STREAM) -> bool:
    """Nobody listens on (or, for UDP, holds) 127.0.0.1:port; TIME_WAIT
    leftovers of closed connections do not count."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def kernel_has_threads(kernel: Path) -> bool:
    """Whether the kernel ELF implements threads (clone3 is their entry
    point): redis-server starts helper threads and exits without them."""
    from elftools.elf.elffile import ELFFile

    with kernel.open("rb") as f:
        symbols = ELFFile(f).get_section_by_name(".symtab")
        return symbols is not None and bool(symbols.get_symbol_by_name("sys_clone3"))
