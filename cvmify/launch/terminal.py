"""The host terminal for `cvmify run -t`, as docker's client handles it.

- The guest gets a terminal of the host terminal's size (our stdout's,
  as docker asks its output stream), or 0 x 0 when stdout is not a
  terminal, as under docker; SIGWINCH brings the new size.
- With -i and a terminal on stdin, that terminal goes into raw mode for
  the run (keystrokes pass as typed, ^C included: the guest's tty makes
  it the app's SIGINT), and is put back afterwards whatever happens.
"""

from __future__ import annotations

import fcntl
import os
import struct
import termios
import tty
from contextlib import contextmanager
from typing import Iterator


def window_size(fd: int) -> tuple[int, int]:
    """(rows, columns) of the terminal on fd; (0, 0) if fd is not one."""
    try:
        packed = fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
    except OSError:
        return 0, 0
    rows, cols, _, _ = struct.unpack("HHHH", packed)
    return rows, cols


def is_terminal(fd: int | None) -> bool:
    return fd is not None and os.isatty(fd)


@contextmanager
def raw_mode(fd: int | None) -> Iterator[None]:
    """The terminal on fd in raw mode inside the block (nothing if fd is
    not a terminal)."""
    if not is_terminal(fd):
        yield
        return
    saved = termios.tcgetattr(fd)
    tty.setraw(fd, termios.TCSANOW)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
