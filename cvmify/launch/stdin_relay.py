"""Copy our stdin to COM1 input, for `cvmify run -i`.

Bytes go through unchanged. A serial line has no end of file, so when our
stdin ends (a pipe or file at its end, a terminal hung up) the relay says
how many bytes it sent, and the runner passes that to the guest over the
control channel (STDIN_EOF): the app's stdin then reads as ended once it
has read them all. A terminal is read with os.read, so in raw mode (-t)
every keystroke goes through as it is typed; its ^D is a byte like any
other, for the guest's tty to interpret.
"""

from __future__ import annotations

import os
from typing import BinaryIO, Callable

READ_SIZE = 65536


def _fileno(source: BinaryIO) -> int | None:
    try:
        return source.fileno()
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        return None


def _chunks(source: BinaryIO):
    fd = _fileno(source)
    if fd is not None and os.isatty(fd):
        while data := os.read(fd, READ_SIZE):  # b"": the terminal hung up
            yield data
        return
    read = getattr(source, "read1", source.read)
    while chunk := read(READ_SIZE):
        yield chunk


def relay_stdin(source: BinaryIO, sink: BinaryIO, ended: Callable[[int], None]) -> None:
    """Copy `source` into `sink` (QEMU's stdin), then close `sink` and call
    `ended(bytes sent)`. Returns quietly when QEMU has gone away."""
    sent = 0
    try:
        for chunk in _chunks(source):
            sink.write(chunk)
            sink.flush()
            sent += len(chunk)
    except (OSError, ValueError):
        return  # QEMU exited (broken pipe) or our stdin is closed
    finally:
        try:
            sink.close()
        except OSError:
            pass
    ended(sent)
