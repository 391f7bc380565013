"""`docker run` of the same image, to compare stdout and exit status with
`cvmify run` (the real docker CLI against the real daemon, no network)."""

from __future__ import annotations

import shutil
import subprocess

from tests.guest import RUN_TIMEOUT, Run


def docker_run(image: str, *args: str, flags: tuple[str, ...] = (), stdin: bytes | None = None,
               entrypoint: str | None = None) -> Run:
    """`docker run --rm --network none FLAGS [--entrypoint E] IMAGE ARGS`,
    stdin piped in when given (pass -i in flags to attach it)."""
    docker = shutil.which("docker")
    assert docker, "the docker CLI is not installed"
    argv = [docker, "run", "--rm", "--network", "none", *flags]
    if entrypoint is not None:
        argv += ["--entrypoint", entrypoint]
    result = subprocess.run([*argv, image, *args], input=stdin,
                            stdin=subprocess.DEVNULL if stdin is None else None,
                            capture_output=True, timeout=RUN_TIMEOUT)
    return Run(result.returncode, result.stdout.decode(errors="replace"),
               result.stderr.decode(errors="replace"))
