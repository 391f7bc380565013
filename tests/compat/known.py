"""The known differences (tests/compat/known.toml): which cases still fail
today, why, and whose area the cause is in.

Every entry becomes a strict xfail mark on its case, so a case that starts
to pass fails the suite until its entry is removed here (and in
docs/compat.md). Format, one table per case:

    [case-name]
    area = "threads"          # one of AREAS
    issue = 7                 # the issue that covers the missing feature
    reason = "clone(CLONE_THREAD) is ENOSYS: ..."
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

KNOWN_FILE = Path(__file__).resolve().parent / "known.toml"

# Owner areas, as docs/compat.md groups them (helper in brackets).
AREAS = {
    "threads": "threads, futexes, preemption (core)",
    "waits": "blocking waits, timers, signals while sleeping (core)",
    "overlay": "writable root, file locks, shared mappings (mmfs)",
    "sockets": "sockets and networking (net)",
    "abi": "missing or partial syscalls, identity, /proc, limits (secabi)",
    "cpu": "CPU state: XSAVE/AVX (secabi)",
    "tty": "TTY rule, environment, docker's flags (host)",
    "image": "manifest inference and image handling (compat)",
}


class KnownError(ValueError):
    pass


@dataclass(frozen=True)
class Known:
    case: str
    area: str
    issue: int
    reason: str

    def mark_reason(self) -> str:
        return f"issue {self.issue} ({self.area}): {self.reason}"


def load_known(path: Path = KNOWN_FILE) -> dict[str, Known]:
    data = tomllib.loads(path.read_text())
    known = {}
    for case, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != {"area", "issue", "reason"}:
            raise KnownError(f"{path.name}: [{case}] needs exactly area, issue, reason")
        if entry["area"] not in AREAS:
            raise KnownError(f"{path.name}: [{case}] area {entry['area']!r} is not one of "
                             f"{', '.join(AREAS)}")
        if not isinstance(entry["issue"], int) or not str(entry["reason"]).strip():
            raise KnownError(f"{path.name}: [{case}] issue must be a number, reason non-empty")
        known[case] = Known(case, entry["area"], entry["issue"], entry["reason"])
    return known
