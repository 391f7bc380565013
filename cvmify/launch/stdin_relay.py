"""Copy our stdin to COM1 input, the guest's console tty.

A serial line has no end of file, so the guest's tty uses the terminal
convention: the VEOF character (^D) at the start of a line reads as end
of file, and in the middle of a line it ends the line without being
delivered (docs/launch.md, "Standard input").

- stdin is not a terminal (a pipe, a file, none): the bytes go through
  unchanged, then ^D once our stdin ends. If the input's last line has no
  trailing newline, a first ^D hands that line over and a second one is
  the end of file, as a person at a terminal would type it.
- stdin is a terminal: keystrokes go through unchanged and the user types
  ^D. A terminal in canonical mode eats that ^D itself: our read returns
  empty (^D at the start of a line) or a line without its newline (^D in
  the middle), so we put the ^D back. A terminal in raw mode passes ^D as
  a byte, so nothing is added. Its end of file is not final: we go on
  reading until the terminal hangs up.
"""

from __future__ import annotations

import os
import select
import termios
from typing import BinaryIO

EOF_CHAR = b"\x04"  # VEOF, ^D
READ_SIZE = 4096


def eof_sequence(last_byte: bytes) -> bytes:
    """What ends the input after `last_byte` (b"" if nothing was sent)."""
    if last_byte in (b"", b"\n"):
        return EOF_CHAR
    return EOF_CHAR + EOF_CHAR  # the first ^D ends the unfinished line


def _fileno(source: BinaryIO) -> int | None:
    try:
        return source.fileno()
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        return None


def _is_terminal(fd: int | None) -> bool:
    return fd is not None and os.isatty(fd)


def _line_ends(fd: int) -> tuple[bytes, ...]:
    """The bytes that end a line on a canonical terminal; () if it is raw."""
    try:
        attrs = termios.tcgetattr(fd)
    except termios.error:
        return ()
    if not attrs[3] & termios.ICANON:
        return ()
    extra = (attrs[6][termios.VEOL], attrs[6][termios.VEOL2])
    return (b"\n",) + tuple(c for c in extra if c not in (b"\0", 0))


def _send(sink: BinaryIO, data: bytes) -> None:
    sink.write(data)
    sink.flush()


def _relay_stream(source: BinaryIO, sink: BinaryIO) -> None:
    """A pipe or file: copy to its end, then end of file for the guest."""
    read = getattr(source, "read1", source.read)
    last = b""
    while chunk := read(READ_SIZE):
        _send(sink, chunk)
        last = chunk[-1:]
    _send(sink, eof_sequence(last))


def _hung_up(fd: int) -> bool:
    """A terminal that went away reads empty forever, like a typed ^D."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return any(events & select.POLLHUP for _, events in poller.poll(0))


def _relay_terminal(fd: int, sink: BinaryIO) -> None:
    """A terminal: until it hangs up or QEMU goes away (a write fails)."""
    while True:
        data = os.read(fd, READ_SIZE)
        if not data and _hung_up(fd):
            return
        ends = _line_ends(fd)
        if ends and not data.endswith(ends):
            data += EOF_CHAR  # the terminal swallowed the user's ^D
        _send(sink, data)


def relay_stdin(source: BinaryIO | None, sink: BinaryIO) -> None:
    """Copy `source` (None: no stdin, like an empty one) into `sink`, QEMU's
    stdin, then close `sink`. Returns quietly when QEMU has gone away."""
    try:
        if source is None:
            _send(sink, eof_sequence(b""))
            return
        fd = _fileno(source)
        if _is_terminal(fd):
            _relay_terminal(fd, sink)
        else:
            _relay_stream(source, sink)
    except (OSError, ValueError):
        pass  # QEMU exited (broken pipe) or our stdin is closed
    finally:
        try:
            sink.close()
        except OSError:
            pass

