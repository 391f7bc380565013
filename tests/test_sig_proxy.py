"""docker's sig-proxy: signals sent to `cvmify run` reach the app over the
control channel, compared with the same signal sent to `docker run`;
--stop-timeout bounds the wait for an app that does not stop."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.guest import REPO_ROOT, RUN_TIMEOUT, build_bundle, program

# The handler writes with os.write: it may run inside print's flush, and
# a buffered print there would be a reentrant call.
HANDLER = """
import os, signal, time
def handler(signo, frame):
    os.write(1, b"got %d\\n" % signo)
    os._exit(3)
signal.signal(signal.SIGTERM, handler)
signal.signal(signal.SIGUSR1, handler)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def signalled(argv: list[str], *signos: int) -> tuple[int, str, str]:
    """Start argv, wait for its first line ("ready"), send it the signals,
    and return (status, stdout, stderr)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    try:
        first = proc.stdout.readline()
        assert first == "ready\n", first + proc.stderr.read()
        for signo in signos:
            proc.send_signal(signo)
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, first + out, err


def cvmify_run(bundle: Path, *flags: str) -> list[str]:
    return [sys.executable, "-m", "cvmify", "run", str(bundle), "--accel", "tcg", *flags]


def docker_run(image: str, *argv: str) -> list[str]:
    return ["docker", "run", "--rm", "--network", "none", "--entrypoint", argv[0], image, *argv[1:]]


@pytest.fixture(scope="module")
def handler_bundle(python3_image, kernel, tmp_path_factory) -> Path:
    return build_bundle(python3_image, kernel, tmp_path_factory.mktemp("handler"),
                        program("/usr/bin/python3", "-c", HANDLER))


@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGUSR1])
def test_a_signal_reaches_the_apps_handler_as_under_docker(handler_bundle, python3_image, signo):
    ours = signalled(cvmify_run(handler_bundle), signo)
    theirs = signalled(docker_run(python3_image, "/usr/bin/python3", "-c", HANDLER), signo)
    assert ours[:2] == theirs[:2] == (3, f"ready\ngot {int(signo)}\n"), (ours, theirs)


def test_an_app_that_ignores_the_signal_is_stopped_after_the_timeout(busybox_image, kernel, tmp_path):
    """pid 1 without a handler does not die of SIGTERM (as in a container);
    after --stop-timeout the VM is stopped and the status is 137."""
    script = "echo ready; exec sleep 1000"
    bundle = build_bundle(busybox_image, kernel, tmp_path, program("/bin/sh", "-c", script))
    status, out, err = signalled(cvmify_run(bundle, "--stop-timeout", "1"), signal.SIGTERM)
    assert status == 137, err
    assert out == "ready\n"
    assert "did not exit within 1 s of signal 15" in err


def test_a_second_interrupt_stops_at_once(busybox_image, kernel, tmp_path):
    bundle = build_bundle(busybox_image, kernel, tmp_path, program("/bin/sh", "-c", "echo ready; exec sleep 1000"))
    argv = [sys.executable, "-m", "cvmify", "-v", "run", str(bundle), "--accel", "tcg", "--stop-timeout", "600"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    try:
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGINT)
        for line in proc.stderr:  # Python merges signals that arrive together: one at a time
            if "signal 2 forwarded" in line:
                break
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=RUN_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted again" in err


BUSY = """
import os, signal
signal.signal(signal.SIGTERM, lambda *a: (os.write(1, b"got 15\\n"), os._exit(3)))
print("ready", flush=True)
while True:
    pass
"""


def test_a_signal_reaches_an_app_that_makes_no_syscalls(python3_image, kernel, tmp_path):
    """The control UART's interrupt brings the request in, not a syscall."""
    bundle = build_bundle(python3_image, kernel, tmp_path, program("/usr/bin/python3", "-c", BUSY))
    assert signalled(cvmify_run(bundle), signal.SIGTERM)[:2] == (3, "ready\ngot 15\n")
