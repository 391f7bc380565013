"""A strict, streaming reader of layer tars: ustar, pax and GNU headers.

Trusts nothing in the stream: every header's checksum is checked, every
number parsed strictly (octal, or GNU base-256), and an extended header
(pax 'x', GNU long name 'L' or long link 'K') over the limits of
cvmify/image/tarlimits.py is refused from its size alone, before it is
read. Each kind of extended header may come once per member; two that set
the same field are refused rather than guessed between.

Honoured, as Python's tarfile and Go's archive/tar (docker) do: pax path,
linkpath, size, uid, gid and mtime (a fraction is cut toward zero); ustar
prefix + name; a '\\0' member named '.../' is a directory (V7); directory
names lose their trailing '/'. Ignored: other pax keys (uname, gname,
xattrs, ...), and global pax headers ('g') that set none of those.

Refused with a one-line UnsafeImageError (malformed) or
UnsupportedImageError (a format we do not read): bad checksums, headers
neither ustar nor GNU, truncated headers or contents, negative or
overflowing numbers, pax records whose length prefix lies, sparse files,
global pax headers that would change members, unknown member types.

The end: two zero blocks, one zero block then end of stream, or end of
stream at a header boundary (as Go's reader; an empty stream is an empty
layer). A zero block followed by data is refused. Nothing after the end is
read; the caller's digest check reads it.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from cvmify.errors import UnsafeImageError, UnsupportedImageError
from cvmify.image.tarlimits import MAX_NAME_SIZE, MAX_PAX_SIZE

BLOCK = 512
BUFFER_SIZE = 2 << 20  # bytes read at a time; must hold a whole extended header
MAX_SIZE = (1 << 63) - 1  # largest member size accepted

# Member types (the header's typeflag byte)
REGULAR_TYPES = (b"0", b"\0", b"7")  # '7' (contiguous) reads as a regular file
HARDLINK = b"1"
SYMLINK = b"2"
CHARDEV = b"3"
BLOCKDEV = b"4"
DIRECTORY = b"5"
FIFO = b"6"
MEMBER_TYPES = frozenset(REGULAR_TYPES + (HARDLINK, SYMLINK, CHARDEV, BLOCKDEV, DIRECTORY, FIFO))
HEADER_ONLY_TYPES = frozenset((HARDLINK, SYMLINK, CHARDEV, BLOCKDEV, DIRECTORY, FIFO))  # no content

# Extended headers: they describe the member that follows
PAX_LOCAL = b"x"
PAX_GLOBAL = b"g"
GNU_LONGNAME = b"L"
GNU_LONGLINK = b"K"
GNU_SPARSE = b"S"

POSIX_MAGIC = b"ustar\x0000"  # magic + version of ustar and pax
GNU_MAGIC = b"ustar  \x00"

# name mode uid gid size mtime chksum typeflag linkname magic+version
# (uname gname devmajor devminor: skipped) prefix (padding: skipped)
_HEADER = struct.Struct("100s8s8s8s12s12s8s1s100s8s80x155s12x")
_ZERO_BLOCK = bytes(BLOCK)
_HIGH_BYTES = bytes(range(128, 256))
_CHKSUM_BLANK = 8 * ord(" ")  # the checksum field counts as eight spaces

# pax keys we honour -> the Member field each sets; other keys are ignored
PAX_FIELDS = {"path": "name", "linkpath": "linkname", "size": "size", "uid": "uid",
              "gid": "gid", "mtime": "mtime"}
_PAX_INT = re.compile(rb"[0-9]{1,20}")
_PAX_TIME = re.compile(rb"(-?[0-9]{1,20})(?:\.[0-9]{0,20})?")
_MAX_LENGTH_DIGITS = 8  # a pax record is at most MAX_PAX_SIZE (7 digits) long


@dataclass(slots=True)
class Member:
    """One archive member, its extended headers applied."""

    name: str
    type: bytes  # one of MEMBER_TYPES
    size: int  # bytes of content; HEADER_ONLY_TYPES have none, whatever this says
    mode: int  # as stored; may carry file type bits
    uid: int
    gid: int
    mtime: int  # whole seconds
    linkname: str

    def isreg(self) -> bool:
        return self.type in REGULAR_TYPES

    def isdir(self) -> bool:
        return self.type == DIRECTORY


@dataclass(slots=True)
class _Header:
    """One 512-byte header, parsed but not yet interpreted."""

    name: bytes
    type: bytes
    size: int
    mode: int
    uid: int
    gid: int
    mtime: int
    linkname: bytes
    prefix: bytes  # ustar only; empty in GNU headers (that area holds other data there)


def _refuse(offset: int, problem: str) -> UnsafeImageError:
    return UnsafeImageError(f"at byte {offset} of the tar: {problem}")


def _unsupported(offset: int, problem: str) -> UnsupportedImageError:
    return UnsupportedImageError(f"at byte {offset} of the tar: {problem}")


def _text(raw: bytes) -> str:
    """A NUL-terminated header string; bytes that are not UTF-8 survive
    as surrogates, so names round-trip exactly."""
    return raw.partition(b"\0")[0].decode("utf-8", "surrogateescape")


def _number(field: bytes, what: str, offset: int) -> int:
    """An octal field (digits, spaces and NULs around them; empty is 0), or
    a GNU base-256 one (first byte 0x80: positive, 0xff: negative)."""
    first = field[0]
    if first == 0x80:
        return int.from_bytes(field[1:], "big")
    if first == 0xFF:
        return int.from_bytes(field, "big", signed=True)
    digits = field.strip(b" \0")
    if not digits:
        return 0
    if digits.isdigit():  # ASCII only; an '8' or '9' fails int() below
        try:
            return int(digits, 8)
        except ValueError:
            pass
    raise _refuse(offset, f"invalid {what} field {field!r}")


def _byte_sum(block: bytes) -> int:
    """The sum of a 512-byte block's bytes, computed in C: the low half of
    Adler-32 is 1 + the byte sum mod 65521, exact over 256 bytes (at most
    65280)."""
    view = memoryview(block)
    return (zlib.adler32(view[:256]) & 0xFFFF) + (zlib.adler32(view[256:]) & 0xFFFF) - 2


def _check_checksum(block: bytes, stored: int, offset: int) -> None:
    """The sum of the header's bytes, its checksum field read as spaces.
    Old tars summed signed bytes; like tarfile, either sum is accepted."""
    field = block[148:156]
    unsigned = _byte_sum(block) - sum(field) + _CHKSUM_BLANK
    if stored == unsigned:
        return
    high = len(block) - len(block.translate(None, _HIGH_BYTES))
    high -= len(field) - len(field.translate(None, _HIGH_BYTES))
    if stored != unsigned - 256 * high:
        raise _refuse(offset, "bad header checksum")


def parse_header(block: bytes, offset: int) -> _Header:
    """A non-zero 512-byte header block, checked. Extended headers only
    need their size: their other numbers are not read."""
    (name, mode, uid, gid, size, mtime, chksum, type_, linkname, magic,
     prefix) = _HEADER.unpack(block)
    _check_checksum(block, _number(chksum, "checksum", offset), offset)
    if magic == POSIX_MAGIC:
        prefix = prefix.partition(b"\0")[0]
    elif magic == GNU_MAGIC:
        prefix = b""
    else:
        raise _refuse(offset, f"not a ustar, pax or GNU tar header (magic {magic!r})")
    size = _number(size, "size", offset)
    if size < 0 or size > MAX_SIZE:
        raise _refuse(offset, f"size {size} out of range")
    if type_ not in MEMBER_TYPES:
        return _Header(name, type_, size, 0, 0, 0, 0, linkname, prefix)
    header = _Header(name, type_, size, _number(mode, "mode", offset), _number(uid, "uid", offset),
                     _number(gid, "gid", offset), _number(mtime, "mtime", offset), linkname, prefix)
    if header.mode < 0 or header.uid < 0 or header.gid < 0:
        raise _refuse(offset, "negative mode, uid or gid")
    return header


def parse_pax_records(data: bytes, offset: int) -> dict[str, bytes]:
    """'<length> <key>=<value>\\n' records filling all of `data`; the length
    counts the whole record and must land exactly on its newline. A later
    record for the same key wins."""
    records: dict[str, bytes] = {}
    pos, end = 0, len(data)
    while pos < end:
        space = data.find(b" ", pos, min(end, pos + _MAX_LENGTH_DIGITS + 1))
        digits = data[pos:space] if space > pos else b""
        if not digits.isdigit():
            raise _refuse(offset, f"pax record at {pos} has no length")
        stop = pos + int(digits)
        if stop > end or stop < space + 4 or data[stop - 1] != 0x0A:
            raise _refuse(offset, f"pax record at {pos}: length {int(digits)} does not match")
        equals = data.find(b"=", space + 1, stop - 1)
        if equals <= space + 1:
            raise _refuse(offset, f"pax record at {pos} has no keyword")
        try:
            key = data[space + 1:equals].decode("utf-8")
        except UnicodeDecodeError:
            raise _refuse(offset, f"pax record at {pos}: keyword is not UTF-8") from None
        records[key] = data[equals + 1:stop - 1]
        pos = stop
    return records


_NO_FIELDS: dict[str, object] = {}


class _Pending:
    """Fields set by the extended headers read so far for the next member."""

    def __init__(self) -> None:
        self.seen: set[bytes] = set()  # extended header types
        self.fields: dict[str, object] = {}

    def add_header(self, type_: bytes, offset: int) -> None:
        if type_ in self.seen:
            raise _refuse(offset, f"second {type_.decode()!r} extended header for one member")
        self.seen.add(type_)

    def set(self, key: str, value: object, offset: int) -> None:
        if key in self.fields:
            raise _refuse(offset, f"two extended headers set the {key} of one member")
        self.fields[key] = value


def _pax_fields(records: dict[str, bytes], pending: _Pending, offset: int) -> None:
    """Copy the honoured keys of a local pax header into `pending`."""
    if any(key.startswith("GNU.sparse.") for key in records):
        raise _unsupported(offset, "sparse files are not supported")
    for key, field in PAX_FIELDS.items():
        value = records.get(key)
        if value is None:
            continue
        if key in ("path", "linkpath"):
            text = value.decode("utf-8", "surrogateescape")
            pending.set(field, text.rstrip("/") if key == "path" else text, offset)
            continue
        match = (_PAX_TIME if key == "mtime" else _PAX_INT).fullmatch(value)
        if match is None:
            raise _refuse(offset, f"invalid pax {key} {value[:40]!r}")
        number = int(match.group(1) if key == "mtime" else value)
        if key == "size" and number > MAX_SIZE:
            raise _refuse(offset, f"pax size {number} out of range")
        pending.set(field, number, offset)


class TarReader:
    """Members of the tar `stream`, front to back, read once. Borrows
    `stream`. Iterating yields Member; while a member is current,
    `content()` reads its bytes (what is left unread is skipped)."""

    def __init__(self, stream: BinaryIO):
        self._input = _Input(stream)
        self._content_left = 0  # of the current member
        self._padding = 0  # zero bytes after the current member's content
        self._member: Member | None = None
        self._ended = False

    def __iter__(self) -> Iterator[Member]:
        while True:
            member = self.next()
            if member is None:
                return
            yield member

    def next(self) -> Member | None:
        """The next member, or None at the end of the archive."""
        self._skip(self._content_left + self._padding, "member content")
        self._content_left = self._padding = 0
        self._member = None
        if self._ended:
            return None
        pending: _Pending | None = None  # most members have no extended header
        while True:
            offset = self.tell()
            block = self._input.take(BLOCK)
            if len(block) < BLOCK or block == _ZERO_BLOCK:
                self._end(block, offset)
                if pending is not None and pending.seen:
                    raise _refuse(offset, "archive ends after an extended header")
                return None
            header = parse_header(block, offset)
            if header.type in MEMBER_TYPES:
                fields = pending.fields if pending is not None else _NO_FIELDS
                self._member = self._make_member(header, fields)
                return self._member
            if pending is None:
                pending = _Pending()
            self._extended(header, pending, offset)

    def content(self) -> "MemberContent":
        """A readable view of the current member's content."""
        if self._member is None:
            raise ValueError("no current member")
        return MemberContent(self, self._member)

    def tell(self) -> int:
        """Archive offset of the next byte to be consumed."""
        return self._input.tell()

    # -- headers ---------------------------------------------------------------

    def _make_member(self, header: _Header, fields: dict[str, object]) -> Member:
        type_ = header.type
        if type_ == b"\0" and header.name.partition(b"\0")[0].endswith(b"/"):
            type_ = DIRECTORY  # the V7 convention, kept by tarfile and Go
        name = fields.get("name")
        if name is None:
            name = _text(header.name)
            if header.prefix:
                name = _text(header.prefix) + "/" + (name.rstrip("/") if type_ == DIRECTORY else name)
        if type_ == DIRECTORY:
            name = name.rstrip("/")
        linkname = fields.get("linkname")
        if linkname is None:
            linkname = _text(header.linkname)
        size = fields.get("size", header.size)
        member = Member(name, type_, size, header.mode, fields.get("uid", header.uid),
                        fields.get("gid", header.gid), fields.get("mtime", header.mtime), linkname)
        if type_ not in HEADER_ONLY_TYPES:
            self._content_left = size
            self._padding = -size % BLOCK
        return member

    def _extended(self, header: _Header, pending: _Pending, offset: int) -> None:
        """Read one extended header's data into `pending`, or refuse it."""
        type_ = header.type
        if type_ in (PAX_LOCAL, PAX_GLOBAL):
            if header.size > MAX_PAX_SIZE:
                raise _refuse(offset, f"pax header of {header.size} bytes (limit {MAX_PAX_SIZE})")
            records = parse_pax_records(self._read_data(header.size, offset), offset)
            if type_ == PAX_GLOBAL:
                _check_global(records, offset)
            else:
                pending.add_header(type_, offset)
                _pax_fields(records, pending, offset)
        elif type_ in (GNU_LONGNAME, GNU_LONGLINK):
            if header.size > MAX_NAME_SIZE + 1:
                raise _refuse(offset, f"GNU long name of {header.size} bytes (limit {MAX_NAME_SIZE})")
            pending.add_header(type_, offset)
            text = _text(self._read_data(header.size, offset))
            pending.set("name" if type_ == GNU_LONGNAME else "linkname", text, offset)
        elif type_ == GNU_SPARSE:
            raise _unsupported(offset, "sparse files are not supported")
        else:
            raise _unsupported(offset, f"unsupported member type {type_!r}")

    def _read_data(self, size: int, offset: int) -> bytes:
        """An extended header's data (small: the caller checked `size`)."""
        data = self._input.take(size)
        if len(data) < size:
            raise _refuse(offset, "archive ends inside an extended header")
        self._skip(-size % BLOCK, "extended header")
        return data

    def _skip(self, count: int, what: str) -> None:
        missing = self._input.skip(count)
        if missing:
            raise _refuse(self.tell(), f"archive ends inside {what} ({missing} bytes missing)")

    def _end(self, block: bytes, offset: int) -> None:
        """`block` (possibly short) was read where a header belongs."""
        if block and len(block) < BLOCK:
            raise _refuse(offset, f"truncated header ({len(block)} of {BLOCK} bytes)")
        if block:
            second = self._input.take(BLOCK)
            if second.count(0) != len(second):
                raise _refuse(offset + BLOCK, "data after a lone zero block")
        self._ended = True

    # -- content -------------------------------------------------------------------

    def _read_content(self, member: Member, size: int) -> bytes:
        size = self._content_size(member, size)
        data = self._input.read(size) if size else b""
        self._content_read(member, size, len(data))
        return data

    def _readinto_content(self, member: Member, buffer) -> int:
        view = memoryview(buffer).cast("B")
        size = self._content_size(member, len(view))
        count = self._input.readinto(view[:size]) if size else 0
        self._content_read(member, size, count)
        return count

    def _content_size(self, member: Member, size: int) -> int:
        if member is not self._member:
            raise ValueError("member content read after the reader moved on")
        return min(size, self._content_left)

    def _content_read(self, member: Member, asked: int, count: int) -> None:
        if asked and not count:
            raise UnsafeImageError(
                f"member {member.name!r}: content ends {self._content_left} bytes early")
        self._content_left -= count


class _Input:
    """The tar stream, read in big steps into one reused buffer. What it
    hands out is a copy, so nothing a caller keeps changes under it."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._data = bytearray(BUFFER_SIZE)
        self._view = memoryview(self._data)
        self._pos = 0  # next byte to hand out
        self._end = 0  # end of the bytes read into the buffer
        self._base = 0  # archive offset of _data[0]

    def tell(self) -> int:
        return self._base + self._pos

    def take(self, count: int) -> bytes:
        """`count` bytes (at most BUFFER_SIZE); fewer only at the end of the stream."""
        if self._end - self._pos < count:
            self._refill(count)
        start = self._pos
        self._pos = min(start + count, self._end)
        return bytes(self._view[start:self._pos])

    def read(self, size: int) -> bytes:
        """Up to `size` bytes, at least one unless the stream has ended."""
        if self._pos == self._end:
            self._refill(1)
        start = self._pos
        self._pos = min(start + size, self._end)
        return bytes(self._view[start:self._pos])

    def readinto(self, view: memoryview) -> int:
        """Like read, into `view`."""
        if self._pos == self._end:
            self._refill(1)
        count = min(len(view), self._end - self._pos)
        view[:count] = self._view[self._pos:self._pos + count]
        self._pos += count
        return count

    def skip(self, count: int) -> int:
        """Pass over `count` bytes; returns how many the stream was short of."""
        while count > self._end - self._pos:
            count -= self._end - self._pos
            self._pos = self._end
            if not self._refill(1):
                return count
        self._pos += count
        return 0

    def _refill(self, count: int) -> bool:
        """Keep the unread bytes, move them to the front and read more, until
        `count` are there or the stream ends. False if nothing was added."""
        left = self._end - self._pos
        if left:
            self._data[:left] = bytes(self._view[self._pos:self._end])  # may overlap: copy first
        self._base += self._pos
        self._pos, self._end = 0, left
        added = False
        while self._end < count:
            n = self._stream.readinto(self._view[self._end:])
            if not n:
                break
            self._end += n
            added = True
        return added


def _check_global(records: dict[str, bytes], offset: int) -> None:
    """A global pax header applies to every later member in tarfile, and to
    none in Go (docker): one that sets a field we honour is refused."""
    for key in records:
        if key in PAX_FIELDS:
            raise _unsupported(offset, f"global pax header sets {key!r}")
        if key.startswith("GNU.sparse."):
            raise _unsupported(offset, "sparse files are not supported")


class MemberContent:
    """The content of one member, read through its TarReader; valid until
    the reader moves to the next member."""

    def __init__(self, reader: TarReader, member: Member):
        self._reader, self._member = reader, member

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (all that is left if `size` < 0); b"" at the end."""
        if size >= 0:
            return self._reader._read_content(self._member, size)
        chunks = []
        while chunk := self._reader._read_content(self._member, BUFFER_SIZE):
            chunks.append(chunk)
        return b"".join(chunks)

    def readinto(self, buffer) -> int:
        return self._reader._readinto_content(self._member, buffer)

    def readable(self) -> bool:
        return True
