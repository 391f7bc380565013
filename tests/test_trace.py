"""The --trace summary lines (cvmify/launch/trace.py): parsed from the
kernel's control lines, printed slowest first."""

from __future__ import annotations

import re

import pytest

from cvmify.launch.trace import SyscallStat, format_trace, parse_stat
from tests.guest import build_and_run, shell


def test_lines_are_parsed_with_and_without_times():
    assert parse_stat("0 read 12 5000000 400000") == SyscallStat(0, "read", 12, 5000000, 400000, False)
    assert parse_stat("334 rseq 1 0 0 missing") == SyscallStat(334, "rseq", 1, 0, 0, True)
    assert parse_stat("1 write 3") == SyscallStat(1, "write", 3, 0, 0, False)
    assert parse_stat("334 rseq 1 missing").missing
    for bad in ("", "x read 1", "1 write", "1 write 2 3", "1 write a b c", "1 write 1 2 3 4"):
        assert parse_stat(bad) is None, bad


def test_summary_is_sorted_by_total_time_and_keeps_odd_lines():
    lines = format_trace(["0 read 10 1000000 500000", "61 wait4 2 90000000 80000000",
                          "334 rseq 1 0 0 missing", "garbage here"])
    assert lines == [
        "cvmify: trace: syscall 61 wait4 2 calls, 90.000 ms total, 80.000 ms max",
        "cvmify: trace: syscall 0 read 10 calls, 1.000 ms total, 0.500 ms max",
        "cvmify: trace: syscall 334 rseq 1 calls, missing",
        "cvmify: trace: syscall garbage here",
    ]


# -- the kernel's side, booted for real ----------------------------------------


@pytest.mark.qemu
@pytest.mark.docker
@pytest.mark.slow
def test_trace_reports_time_per_syscall(busybox_image, kernel, tmp_path):
    run = build_and_run(busybox_image, kernel, tmp_path, shell("sleep 0.3"), ("--trace",))
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("cvmify: trace: ")]
    sleeping = [line for line in lines if " nanosleep " in line or " clock_nanosleep " in line]
    assert len(sleeping) == 1, lines
    total_ms, max_ms = map(float, re.search(r"([\d.]+) ms total, ([\d.]+) ms max", sleeping[0]).groups())
    assert 290 <= max_ms <= total_ms
    assert lines[0] == sleeping[0]  # the slowest call comes first
