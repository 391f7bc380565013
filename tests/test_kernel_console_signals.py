"""Console signals: ^C typed at the app's console reaches the app as
SIGINT (the tty's ISIG, to the foreground processes), through the real
path: our terminal (a pty, `-t -i` puts it in raw mode) -> the launcher's
relay -> COM1 -> the kernel's line discipline. ^\\ is SIGQUIT the same
way. Without -t the app has no tty, as under docker (tests/test_cli.py).
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

import pytest

from tests.guest import REPO_ROOT, RUN_TIMEOUT, build_bundle, shell

pytestmark = [pytest.mark.qemu, pytest.mark.slow]


def run_and_type(bundle, keys: bytes, ready: bytes = b"ready") -> tuple[int, bytes]:
    """Start `cvmify run -t -i` on a pty, type `keys` once the app printed
    `ready`; returns the exit status and everything the app printed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cvmify", "run", "-t", "-i", str(bundle), "--accel", "tcg"],
        stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        cwd=REPO_ROOT)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + RUN_TIMEOUT
    while ready not in out:
        chunk = proc.stdout.read1(4096)
        if not chunk or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the app never said {ready!r}: {out!r}")
        out += chunk
    os.write(master, keys)
    try:
        rest, _ = proc.communicate(timeout=RUN_TIMEOUT)
    finally:
        os.close(master)
    return proc.returncode, out + rest


def test_ctrl_c_runs_the_shells_sigint_trap(busybox_image, kernel, tmp_path):
    script = ("trap 'echo got SIGINT; exit 3' INT; echo ready; "
              "while true; do sleep 1; done")
    bundle = build_bundle(busybox_image, kernel, tmp_path, shell(script))
    status, out = run_and_type(bundle, b"\x03")
    assert b"got SIGINT" in out, out
    assert status == 3


def test_ctrl_c_interrupts_python(python3_image, kernel, tmp_path):
    """Python's default SIGINT handler: KeyboardInterrupt in the main
    thread, here while it waits in time.sleep in a second thread's join."""
    script = ("import threading, time\n"
              "t = threading.Thread(target=time.sleep, args=(60,), daemon=True)\n"
              "t.start()\n"
              "try:\n"
              "    print('ready', flush=True)\n"
              "    t.join()\n"
              "except KeyboardInterrupt:\n"
              "    print('KeyboardInterrupt', flush=True)\n"
              "    raise SystemExit(4)\n")
    bundle = build_bundle(python3_image, kernel, tmp_path,
                          {"loader": {"argv": ["/usr/bin/python3", "-c", script]}})
    status, out = run_and_type(bundle, b"\x03")
    assert b"KeyboardInterrupt" in out, out
    assert status == 4


def test_ctrl_backslash_is_sigquit(python3_image, kernel, tmp_path):
    """The process that says ready is the one ^\\ must kill (a shell that
    execs might still be the shell, which may ignore SIGQUIT)."""
    script = "import time\nprint('ready', flush=True)\ntime.sleep(60)\n"
    bundle = build_bundle(python3_image, kernel, tmp_path,
                          {"loader": {"argv": ["/usr/bin/python3", "-c", script]}})
    status, _ = run_and_type(bundle, b"\x1c")
    assert status == 128 + 3  # killed by SIGQUIT
