"""Run one compatibility case both ways and compare.

- docker: `docker run --rm --network none IMAGE` (no -t, no -i: stdin is
  empty and nothing is a TTY), stdout and the exit status;
- cvmify: `cvmify build docker-daemon:IMAGE` with the inferred manifest
  (nothing merged over it: the image's own ENTRYPOINT/CMD/USER/ENV), then
  `cvmify run BUNDLE --accel tcg RUN_ARGS`, stdout and the exit status.

The guest run is bounded by the case's timeout; on expiry cvmify and its
QEMU (our own process group) are stopped and the outcome says "timeout".
"""

from __future__ import annotations

import difflib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import docker

from tests.compat.cases import Case

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
TIMED_OUT = -1  # Outcome.returncode when the run was stopped
BUILD_FAILED = -2  # Outcome.returncode when `cvmify build` failed
DOCKER_TIMEOUT = 600  # seconds; vfs storage copies the image per container
TRACE_LINES = 40  # how much of the kernel's trace a failure report keeps


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def status(self) -> str:
        if self.returncode == TIMED_OUT:
            return "timeout"
        if self.returncode == BUILD_FAILED:
            return "build failed"
        return f"exit {self.returncode}"


@dataclass
class Comparison:
    case: Case
    docker: Outcome
    guest: Outcome

    def differences(self) -> list[str]:
        """Empty when stdout (normalised) and the exit status match."""
        found = []
        if self.docker.returncode != self.guest.returncode:
            found.append(f"status: docker {self.docker.status()}, cvmify {self.guest.status()}")
        want = self.case.normalized(self.docker.stdout)
        got = self.case.normalized(self.guest.stdout)
        if want != got:
            diff = difflib.unified_diff(visible_lines(want), visible_lines(got), "docker",
                                        "cvmify", lineterm="", n=1)
            found.append("stdout differs:\n" + "\n".join(list(diff)[:60]))
        return found

    def report(self) -> str:
        lines = [f"case {self.case.name}: {self.case.about}", *self.differences()]
        stderr = self.guest.stderr.strip().splitlines()
        if stderr:
            lines.append("cvmify stderr (last lines):")
            lines += ["  " + line for line in stderr[-TRACE_LINES:]]
        return "\n".join(lines)


def visible_lines(text: str) -> list[str]:
    """Lines for a diff, with what a terminal hides made visible: a carriage
    return (a TTY's output processing) and a missing final newline."""
    lines = text.replace("\r", "\\r").split("\n")
    if lines[-1] == "":
        lines.pop()
    elif text:
        lines[-1] += "\\ (no newline at end)"
    return lines


def docker_run(client: docker.DockerClient, tag: str) -> Outcome:
    """The reference: the image under the host's real kernel."""
    start = time.monotonic()
    container = client.containers.run(tag, detach=True, network_mode="none",
                                      stdin_open=False, tty=False)
    try:
        try:
            status = container.wait(timeout=DOCKER_TIMEOUT)["StatusCode"]
        except Exception:  # the daemon's wait timed out: the reference hangs
            container.kill()
            status = TIMED_OUT
        stdout = container.logs(stdout=True, stderr=False).decode(errors="replace")
        stderr = container.logs(stdout=False, stderr=True).decode(errors="replace")
    finally:
        container.remove(force=True)
    return Outcome(status, stdout, stderr, time.monotonic() - start)


def run_bounded(argv: list[str], timeout: float) -> tuple[int, str, str]:
    """Run argv in its own process group; on timeout stop the whole group
    (cvmify first gets SIGTERM so it can stop its QEMU cleanly)."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, cwd=REPO_ROOT,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
        return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")
    except subprocess.TimeoutExpired:
        stop_group(process)
        out, err = process.communicate()
        return TIMED_OUT, out.decode(errors="replace"), err.decode(errors="replace")


def stop_group(process: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            # cvmify is gone; its QEMU may linger a moment in the same group.
            os.killpg(process.pid, signal.SIGKILL)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            continue
        return


def cvmify_run(case: Case, tag: str, kernel: Path, workdir: Path,
               trace: bool = False) -> Outcome:
    """The system under test: build the image as a user would, then run it."""
    start = time.monotonic()
    bundle = workdir / "bundle"
    cli = [sys.executable, "-m", "cvmify"]
    try:
        code, out, err = run_bounded([*cli, "build", f"docker-daemon:{tag}", "-o", str(bundle),
                                      "--kernel", str(kernel), "--force"], timeout=600)
        if code != 0:
            return Outcome(BUILD_FAILED, out, err, time.monotonic() - start)
        run_argv = [*cli, "run", str(bundle), "--accel", "tcg", *case.run_args]
        if trace:
            run_argv.append("--trace")
        code, out, err = run_bounded(run_argv, timeout=case.timeout)
        return Outcome(code, out, err, time.monotonic() - start)
    finally:
        # A bundle is the image's size again (all cases: several GB); the
        # outcome holds everything the comparison needs.
        shutil.rmtree(bundle, ignore_errors=True)


class ReferenceError(RuntimeError):
    """docker run itself did not finish: the case is broken, not cvmify."""


def run_case(case: Case, kernel: Path, workdir: Path, trace: bool = False) -> Comparison:
    """Build the case's image (cached), run it both ways, compare."""
    from tests.compat.images import case_recipe_name
    from tests.images import build as images

    workdir.mkdir(parents=True, exist_ok=True)
    client = images.client_from_env()
    try:
        tag = images.ensure(case_recipe_name(case.name), client).tag
        reference = docker_run(client, tag)
    finally:
        client.close()
    if reference.returncode == TIMED_OUT:
        raise ReferenceError(f"{case.name}: docker run did not finish in {DOCKER_TIMEOUT}s")
    return Comparison(case, reference, cvmify_run(case, tag, kernel, workdir, trace))
