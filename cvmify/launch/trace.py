"""The --trace summary: one kernel line per syscall number the app used
(docs/boot-config.md, `cvmify: syscall NR NAME COUNT TOTAL_NS MAX_NS
[missing]`), turned into lines for people, slowest in total first, so the
next bottleneck is the first line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SyscallStat:
    nr: int
    name: str
    count: int
    total_ns: int
    max_ns: int
    missing: bool


def parse_stat(text: str) -> SyscallStat | None:
    """One summary line (what follows `cvmify: syscall `), or None when
    it is malformed. Lines without times (older kernels) read as 0 ns."""
    fields = text.split()
    missing = bool(fields) and fields[-1] == "missing"
    if missing:
        fields = fields[:-1]
    if len(fields) not in (3, 5) or not all(f.isdigit() for f in fields[:1] + fields[2:]):
        return None
    nr, name, count = int(fields[0]), fields[1], int(fields[2])
    total_ns, max_ns = (int(fields[3]), int(fields[4])) if len(fields) == 5 else (0, 0)
    return SyscallStat(nr, name, count, total_ns, max_ns, missing)


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.3f} ms"


def format_trace(lines: list[str]) -> list[str]:
    """Human lines for the summary, slowest total first; malformed lines
    are passed through as they came."""
    stats = [(parse_stat(line), line) for line in lines]
    good = sorted((s for s, _ in stats if s is not None), key=lambda s: (-s.total_ns, s.nr))
    out = []
    for s in good:
        if s.missing:
            out.append(f"cvmify: trace: syscall {s.nr} {s.name} {s.count} calls, missing")
        else:
            out.append(f"cvmify: trace: syscall {s.nr} {s.name} {s.count} calls, "
                       f"{_ms(s.total_ns)} total, {_ms(s.max_ns)} max")
    out += [f"cvmify: trace: syscall {line}" for s, line in stats if s is None]
    return out
