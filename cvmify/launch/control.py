"""The control channel between the launcher and the guest kernel
(docs/boot-config.md, "Control channel"), host end.

The kernel talks to us on a UART of its own (COM4) that the app has no
file for, so nothing the app prints can pass for a control message. The
kernel log (COM3) is kept only to show people (-v) what went wrong.

Every message is one frame, in both directions:

    u8 magic 0xC7, u8 version 1, u8 type, u8 0, u16 length (LE), payload

Guest -> host: HELLO, EXIT (u32 status), KILLED (u32 signal), PANIC
(text), PROBE_OK, TRACE (text: one --trace summary line).
Host -> guest: SIGNAL (u32), WINSIZE (u16 rows, u16 cols), STDIN_EOF (u64).

A malformed frame from the guest breaks the channel: it and everything
after it are ignored (fail closed), so the run ends without a status.
"""

from __future__ import annotations

import collections
import logging
import socket
import struct
import threading
from dataclasses import dataclass, field

log = logging.getLogger("cvmify.kernel")

MAGIC = 0xC7
VERSION = 1
HEADER = struct.Struct("<BBBBH")
MAX_GUEST_PAYLOAD = 1024

HELLO, EXIT, KILLED, PANIC, PROBE_OK, TRACE = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
SIGNAL, WINSIZE, STDIN_EOF = 0x81, 0x82, 0x83

MAX_LINE = 4096  # longer kernel log lines are cut here
TAIL_LINES = 40
MAX_TRACE_LINES = 4096


def encode(kind: int, payload: bytes = b"") -> bytes:
    """One frame (either direction)."""
    return HEADER.pack(MAGIC, VERSION, kind, 0, len(payload)) + payload


def signal_request(signo: int) -> bytes:
    return encode(SIGNAL, struct.pack("<I", signo))


def winsize_request(rows: int, cols: int) -> bytes:
    return encode(WINSIZE, struct.pack("<HH", min(rows, 0xFFFF), min(cols, 0xFFFF)))


def stdin_eof_request(count: int) -> bytes:
    return encode(STDIN_EOF, struct.pack("<Q", count))


@dataclass
class ControlState:
    """What the guest said on the control channel, and the log's tail."""

    exit_status: int | None = None
    signal: int | None = None
    panic: str | None = None
    probe_ok: bool = False
    hello: bool = False
    broken: str | None = None  # why the channel was given up, if it was
    syscalls: list[str] = field(default_factory=list)
    tail: collections.deque = field(default_factory=lambda: collections.deque(maxlen=TAIL_LINES))
    _pending: bytearray = field(default_factory=bytearray, repr=False)

    def log_line(self, line: str) -> None:
        """One complete kernel log line (COM3): for people, never parsed."""
        line = line[:MAX_LINE].rstrip("\r")
        self.tail.append(line)
        log.debug("%s", line)

    def feed(self, data: bytes) -> None:
        """Bytes from the control channel, in any chunks."""
        if self.broken is not None:
            return
        self._pending += data
        while len(self._pending) >= HEADER.size:
            magic, version, kind, reserved, size = HEADER.unpack_from(self._pending)
            if magic != MAGIC or version != VERSION or reserved != 0 or size > MAX_GUEST_PAYLOAD:
                self._break(f"bad frame header {bytes(self._pending[:HEADER.size]).hex()}")
                return
            if len(self._pending) < HEADER.size + size:
                return
            payload = bytes(self._pending[HEADER.size:HEADER.size + size])
            del self._pending[:HEADER.size + size]
            self._message(kind, payload)
            if self.broken is not None:
                return

    def _break(self, why: str) -> None:
        log.warning("control channel: %s; ignoring the rest of it", why)
        self.broken = why
        self._pending.clear()

    def _message(self, kind: int, payload: bytes) -> None:
        if kind == HELLO and not payload:
            self.hello = True
        elif kind == EXIT:
            self.exit_status = self._number(payload, 255, "exit status")
        elif kind == KILLED:
            self.signal = self._number(payload, 64, "signal")
        elif kind == PANIC:
            self.panic = payload.decode("utf-8", "replace").strip() or "(no message)"
        elif kind == PROBE_OK and not payload:
            self.probe_ok = True
        elif kind == TRACE:
            if len(self.syscalls) < MAX_TRACE_LINES:
                self.syscalls.append(payload.decode("utf-8", "replace").strip())
        else:
            self._break(f"unexpected message type {kind:#x} with {len(payload)} bytes")

    def _number(self, payload: bytes, maximum: int, what: str) -> int | None:
        if len(payload) == 4 and (value := struct.unpack("<I", payload)[0]) <= maximum:
            return value
        self._break(f"bad {what} {payload.hex()}")
        return None


class ControlLink:
    """Our end of the control channel's socket: sends requests (from any
    thread) and hands what the guest sent to a ControlState."""

    def __init__(self, sock: socket.socket, state: ControlState):
        self.sock = sock
        self.state = state
        self._lock = threading.Lock()

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, frame: bytes) -> bool:
        """Queue one request for the guest; False if QEMU has gone."""
        with self._lock:
            try:
                self.sock.sendall(frame)
            except OSError:
                return False
        return True

    def receive(self) -> bool:
        """Read what is there; False at end of stream."""
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        if not data:
            return False
        self.state.feed(data)
        return True

    def close(self) -> None:
        self.sock.close()


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
