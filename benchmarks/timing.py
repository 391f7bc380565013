"""Wall-clock timing of a child process: time to a marker on stdout, time to exit."""

from __future__ import annotations

import os
import selectors
import statistics
import subprocess
import time
from dataclasses import dataclass


@dataclass
class Sample:
    first_output_s: float  # marker seen on stdout
    exit_s: float
    returncode: int


def time_command(argv: list[str], marker: bytes, timeout_s: float = 300.0, env: dict | None = None) -> Sample:
    """Start argv, note when `marker` first appears on its stdout and when it exits."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    seen = b""
    first = None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        while True:
            if time.perf_counter() - start > timeout_s:
                raise TimeoutError(f"{argv[0]} ran longer than {timeout_s}s")
            if not sel.select(timeout=0.5):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            if first is None:
                seen += chunk
                if marker in seen:
                    first = time.perf_counter() - start
        proc.wait(timeout=timeout_s)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    end = time.perf_counter() - start
    if first is None:
        raise RuntimeError(f"{argv[0]}: marker {marker!r} never appeared on stdout (exit {proc.returncode})")
    return Sample(first, end, proc.returncode)


def summarize(samples: list[float]) -> dict:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
    }
