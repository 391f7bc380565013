"""The kernel's control lines on COM3 (docs/boot-config.md), parsed.

The kernel log is read line by line; lines starting with `cvmify:` report
the app's exit status, a signal, a panic, the probe verdict or the
--trace summary. A malformed control line is logged and ignored: it
cannot turn into an exit status.
"""

from __future__ import annotations

import collections
import logging
from dataclasses import dataclass, field

log = logging.getLogger("cvmify.kernel")

PREFIX = "cvmify: "
MAX_LINE = 4096  # longer kernel lines are cut here
TAIL_LINES = 40


@dataclass
class ControlState:
    exit_status: int | None = None
    signal: int | None = None
    panic: str | None = None
    probe_ok: bool = False
    syscalls: list[str] = field(default_factory=list)
    tail: collections.deque = field(default_factory=lambda: collections.deque(maxlen=TAIL_LINES))

    def feed(self, line: str) -> None:
        """One complete kernel log line, without its newline."""
        line = line[:MAX_LINE].rstrip("\r")
        self.tail.append(line)
        log.debug("%s", line)
        if not line.startswith(PREFIX):
            return
        verb, _, rest = line[len(PREFIX):].partition(" ")
        if verb == "exit":
            self.exit_status = _small_int(rest, 255, line)
        elif verb == "signal":
            self.signal = _small_int(rest, 64, line)
        elif verb == "panic":
            self.panic = rest.strip() or "(no message)"
        elif verb == "probe" and rest.strip() == "ok":
            self.probe_ok = True
        elif verb == "syscall":
            self.syscalls.append(rest.strip())
        else:
            log.warning("ignoring unknown control line: %r", line)


def _small_int(text: str, maximum: int, line: str) -> int | None:
    text = text.strip()
    if text.isdigit() and len(text) <= 3 and int(text) <= maximum:
        return int(text)
    log.warning("ignoring malformed control line: %r", line)
    return None


class LineSplitter:
    """Bytes in, complete lines out; a final unterminated line on close."""

    def __init__(self) -> None:
        self.pending = b""

    def feed(self, data: bytes) -> list[str]:
        self.pending += data
        *lines, self.pending = self.pending.split(b"\n")
        if len(self.pending) > MAX_LINE:  # a runaway line: cut it
            lines.append(self.pending)
            self.pending = b""
        return [raw.decode("utf-8", "replace") for raw in lines]

    def close(self) -> list[str]:
        rest, self.pending = self.pending, b""
        return [rest.decode("utf-8", "replace")] if rest else []
