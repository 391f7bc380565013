"""The vDSO (kernel/vdso, mm/vdso.c): time queries answered in user mode.

kernel/tests/guest/vdso.c checks the answers against the real syscalls
(test_kernel_programs runs it as a guest program); here `--trace` shows
that a loop of clock_gettime calls, statically linked glibc and Debian's
dynamic python alike, no longer reaches the kernel.
"""

from __future__ import annotations

import re

import pytest

from tests.guest import build_and_run, program

pytestmark = [pytest.mark.qemu, pytest.mark.docker, pytest.mark.slow]


def syscall_count(trace: str, name: str) -> int:
    match = re.search(rf"syscall \d+ {name} (\d+)", trace)
    return int(match.group(1)) if match else 0


def test_clock_gettime_loop_stays_in_user_mode(guest_image, kernel, tmp_path):
    run = build_and_run(guest_image, kernel, tmp_path, program("/vdso", "loop", "100000"),
                        ("--trace",))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines() == ["looped 100000"]
    assert syscall_count(run.stderr, "exit_group") == 1  # the trace is there
    assert syscall_count(run.stderr, "clock_gettime") == 0


def test_python_time_calls_stay_in_user_mode(python3_image, kernel, tmp_path):
    script = ("import time\n"
              "t = [time.monotonic() for _ in range(20000)]\n"
              "w = [time.time() for _ in range(20000)]\n"
              "print(all(a <= b for a, b in zip(t, t[1:])), w[-1] > 1.6e9)\n")
    run = build_and_run(python3_image, kernel, tmp_path,
                        program("/usr/bin/python3", "-c", script), ("--trace",))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.split() == ["True", "True"]
    assert syscall_count(run.stderr, "clock_gettime") < 100  # 40,000 calls made
