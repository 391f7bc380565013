"""`cvmify ps [-a]`: the containers, as `docker ps` lists them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cvmify.containers.store import EXITED, RUNNING, Container, Store


def ago(seconds: float) -> str:
    """docker's rough durations: "5 seconds", "3 minutes", "2 hours"."""
    seconds = max(0, int(seconds))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def status_text(c: Container, now: float) -> str:
    state = c.state
    if state == RUNNING:
        return f"Up {ago(now - c.created)}"
    if state == EXITED:
        what = f"Exited ({c.exit_code})" if c.exit_code is not None else "Failed"
        return f"{what} {ago(now - (c.finished or now))} ago"
    return "Dead"


@dataclass
class PsResult:
    containers: list[Container]
    now: float
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"containers": [c.to_json() for c in self.containers]}

    def text_lines(self) -> list[str]:
        rows = [("CONTAINER ID", "NAME", "STATUS", "CREATED", "BUNDLE")]
        for c in self.containers:
            rows.append((c.short_id, c.name, status_text(c, self.now), f"{ago(self.now - c.created)} ago", c.bundle))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return ["   ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "   " + row[4] for row in rows]


def list_containers(state_dir: Path, all_: bool = False) -> PsResult:
    """Running containers; with `all_` the ended ones too."""
    found = Store(state_dir).all()
    return PsResult([c for c in found if all_ or c.state == RUNNING], time.time())
