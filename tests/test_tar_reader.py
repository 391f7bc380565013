"""The layer tar reader (cvmify/image/tar_reader.py) against Python's tarfile.

- Equivalence: every layer of the real test images, and tars written by
  tarfile in each format (USTAR, GNU, PAX) with long and unicode names,
  long link names, big ids, fractional and negative mtimes, empty files,
  hard links, devices: both readers see the same members and contents.
- End of archive: the endings real tars have are accepted.
- Hostile input: each malformation is refused with a one-line CvmifyError
  naming what is wrong; random damage never raises anything else.
"""

from __future__ import annotations

import hashlib
import io
import random
import tarfile
from pathlib import Path

import pytest

from cvmify.errors import CvmifyError, UnsafeImageError, UnsupportedImageError
from cvmify.image.tar_reader import TarReader, parse_pax_records

# -- the two readers, reduced to comparable tuples -------------------------------


def digest(chunks) -> str:
    hasher = hashlib.sha256()
    for chunk in chunks:
        hasher.update(chunk)
    return hasher.hexdigest()


def read_all(content, step: int = 1 << 16):
    while True:
        chunk = content.read(step)
        if not chunk:
            return
        yield chunk


def ours(stream) -> list[tuple]:
    reader = TarReader(stream)
    members = []
    for m in reader:
        data = digest(read_all(reader.content())) if m.isreg() else None
        members.append((m.name, m.type, m.size, m.mode, m.uid, m.gid, m.mtime, m.linkname, data))
    return members


def theirs(stream) -> list[tuple]:
    members = []
    with tarfile.open(fileobj=stream, mode="r|", encoding="utf-8", errors="surrogateescape") as tar:
        for m in tar:
            data = digest(read_all(tar.extractfile(m))) if m.isreg() else None
            members.append((m.name, m.type, m.size, m.mode, m.uid, m.gid, int(m.mtime), m.linkname, data))
    return members


def assert_same(data: bytes) -> list[tuple]:
    mine = ours(io.BytesIO(data))
    assert mine == theirs(io.BytesIO(data))
    return mine


def refused(data: bytes, kind: type = UnsafeImageError) -> str:
    with pytest.raises(kind) as info:
        ours(io.BytesIO(data))
    message = str(info.value)
    assert "\n" not in message
    return message


# -- real layers -------------------------------------------------------------------

IMAGES = ["busybox_image", "debian_image", "python3_image", "layers_image", "nonroot_image",
          "script_image", "cprogs_image"]


def saved_layers(docker_client, tag: str, directory: Path) -> list[Path]:
    """The layer tars of `docker save TAG`, each written to its own file."""
    saved = directory / "saved.tar"
    with open(saved, "wb") as f:
        for chunk in docker_client.images.get(tag).save(named=False):
            f.write(chunk)
    layers = []
    with tarfile.open(saved) as outer:
        for member in outer:
            if member.isfile() and member.name.endswith("layer.tar"):
                path = directory / f"layer{len(layers)}.tar"
                with outer.extractfile(member) as src, open(path, "wb") as dst:
                    for chunk in read_all(src, 1 << 20):
                        dst.write(chunk)
                layers.append(path)
    saved.unlink()
    return layers


@pytest.mark.docker
@pytest.mark.parametrize("fixture", IMAGES)
def test_real_layers_read_as_tarfile_reads_them(fixture, request, docker_client, tmp_path):
    layers = saved_layers(docker_client, request.getfixturevalue(fixture), tmp_path)
    assert layers
    for path in layers:
        with open(path, "rb") as a, open(path, "rb") as b:
            mine = ours(io.BufferedReader(a, 1 << 20))
            assert mine == theirs(io.BufferedReader(b, 1 << 20)), path
        path.unlink()


# -- tars written by tarfile -------------------------------------------------------

LONG_DIR = "a" * 90 + "/" + "b" * 90  # needs the ustar prefix
LONGER = "/".join(["d" * 120] * 3) + "/file"  # too long for ustar: GNU 'L' or pax path
UNICODE = "ünïcödé/日本語.txt"
RAW_BYTES = "raw-\udcff\udcfe"  # not UTF-8: bytes 0xff 0xfe kept as surrogates


def sample_tar(fmt: int) -> bytes:
    """A tar in format `fmt` with one member of every kind and the names,
    ids and times that format can hold."""
    buffer = io.BytesIO()
    pax = {"comment": "a global header"} if fmt == tarfile.PAX_FORMAT else None
    with tarfile.open(fileobj=buffer, mode="w", format=fmt, encoding="utf-8",
                      errors="surrogateescape", pax_headers=pax) as tar:
        def add(name, kind=tarfile.REGTYPE, content=b"", **fields):
            info = tarfile.TarInfo(name)
            info.type, info.size, info.mtime, info.mode = kind, len(content), 1700000000, 0o644
            for key, value in fields.items():
                setattr(info, key, value)
            tar.addfile(info, io.BytesIO(content) if info.isreg() else None)

        add("./", tarfile.DIRTYPE, mode=0o755)
        add("etc", tarfile.DIRTYPE, mode=0o755)
        add("etc/empty")
        add("etc/one-block", content=b"x" * 512)
        add("etc/odd", content=bytes(range(256)) * 3 + b"tail")
        add("etc/exec", content=b"#!/bin/sh\n", mode=0o4755, uid=1000, gid=100)
        add(f"{LONG_DIR}/inside", content=b"prefix")
        add(f"{LONG_DIR}/dir", tarfile.DIRTYPE)
        add("etc/hard", tarfile.LNKTYPE, linkname="etc/odd")
        add("etc/sym", tarfile.SYMTYPE, linkname="../usr/lib/x", mode=0o777)
        add("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3)
        add("dev/sda", tarfile.BLKTYPE, devmajor=8, devminor=0)
        add("run/fifo", tarfile.FIFOTYPE)
        add("old-style-dir/", tarfile.AREGTYPE)  # V7: a directory
        add("etc/contiguous", tarfile.CONTTYPE, content=b"7")
        add("etc/mode-bits", content=b"m", mode=0o100600)
        if fmt != tarfile.USTAR_FORMAT:
            add(LONGER, content=b"long name")
            add("long-link", tarfile.SYMTYPE, linkname=LONGER)
            add("long-hard", tarfile.LNKTYPE, linkname=LONGER)
            add(UNICODE, content="ünïcödé".encode())
            add(RAW_BYTES, content=b"raw")
            add("big-ids", content=b"ids", uid=(1 << 32) - 1, gid=3_000_000)
            add("before-1970", content=b"old", mtime=-86400)
            add("far-future", content=b"new", mtime=(1 << 40))
            add("big-file", content=b"z" * 70_001)
        if fmt == tarfile.PAX_FORMAT:
            add("fraction", content=b"f", mtime=1700000000.75)
            add("negative-fraction", content=b"f", mtime=-1.5)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT],
                         ids=["ustar", "gnu", "pax"])
def test_generated_tars_read_as_tarfile_reads_them(fmt):
    members = assert_same(sample_tar(fmt))
    names = {m[0]: m for m in members}
    assert names["old-style-dir"][1] == tarfile.DIRTYPE
    assert names[f"{LONG_DIR}/inside"][-1] == hashlib.sha256(b"prefix").hexdigest()
    assert names["etc/hard"][1:3] == (tarfile.LNKTYPE, 0)
    if fmt != tarfile.USTAR_FORMAT:
        assert names["long-link"][7] == LONGER
        assert names["big-ids"][4:6] == ((1 << 32) - 1, 3_000_000)
        assert names["before-1970"][6] == -86400
        assert RAW_BYTES in names
    if fmt == tarfile.PAX_FORMAT:
        assert names["fraction"][6] == 1700000000
        assert names["negative-fraction"][6] == -1  # cut toward zero, as int() does


def test_unread_content_is_skipped():
    data = sample_tar(tarfile.GNU_FORMAT)
    reader = TarReader(io.BytesIO(data))
    seen = []
    for member in reader:
        if member.name == "etc/one-block":
            assert reader.content().read(4) == b"xxxx"  # the other 508 bytes are skipped
        seen.append(member.name)
    assert seen == [m[0] for m in theirs(io.BytesIO(data))]


def test_content_after_the_reader_moved_on_is_refused():
    reader = TarReader(io.BytesIO(sample_tar(tarfile.USTAR_FORMAT)))
    member = next(m for m in reader if m.isreg() and m.size)
    content = reader.content()
    reader.next()
    with pytest.raises(ValueError):
        content.read()
    assert member.name == "etc/one-block"


class Trickle(io.RawIOBase):
    """A stream that returns at most a few bytes per read, as a pipe can."""

    def __init__(self, data: bytes, seed: int):
        super().__init__()
        self._data, self._pos, self._rng = data, 0, random.Random(seed)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self._rng.randint(1, 700), len(self._data) - self._pos)
        buffer[:count] = self._data[self._pos:self._pos + count]
        self._pos += count
        return count


@pytest.mark.parametrize("seed", range(3))
def test_short_reads_change_nothing(seed):
    data = sample_tar(tarfile.PAX_FORMAT)
    assert ours(Trickle(data, seed)) == theirs(io.BytesIO(data))


def test_content_by_read_and_readinto():
    big = bytes(range(251)) * 13_000  # 3.3 MB: more than the reader's buffer
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in ("a", "b"):
            info = tarfile.TarInfo(name)
            info.size = len(big)
            tar.addfile(info, io.BytesIO(big))
    reader = TarReader(Trickle(buffer.getvalue(), 9))
    reader.next()
    assert reader.content().read() == big
    reader.next()
    content, out, view = reader.content(), bytearray(), memoryview(bytearray(100_000))
    while count := content.readinto(view):
        out += view[:count]
    assert out == big and reader.next() is None


# -- the end of the archive ----------------------------------------------------------


def one_file(fmt: int = tarfile.USTAR_FORMAT) -> bytes:
    """A one-member tar, without its end-of-archive blocks."""
    info = tarfile.TarInfo("f")
    info.size = 3
    return info.tobuf(fmt) + b"abc".ljust(512, b"\0")


@pytest.mark.parametrize("ending", [b"\0" * 1024, b"\0" * 512, b"", b"\0" * 10240,
                                    b"\0" * 1024 + b"trailing bytes nobody reads"],
                         ids=["two-zero-blocks", "one-zero-block", "none", "padded-record", "trailing"])
def test_endings_real_tars_have(ending):
    assert [m[0] for m in assert_same(one_file() + ending)] == ["f"]


def test_an_empty_stream_is_an_empty_layer():
    assert ours(io.BytesIO(b"")) == []
    assert ours(io.BytesIO(b"\0" * 1024)) == []


def test_a_lone_zero_block_before_data_is_refused():
    message = refused(one_file() + b"\0" * 512 + one_file())
    assert message == "at byte 1536 of the tar: data after a lone zero block"


# -- hostile headers --------------------------------------------------------------------


def with_checksum(block: bytes) -> bytes:
    """`block` with a correct checksum field."""
    block = bytearray(block)
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def patched(header: bytes, offset: int, field: bytes) -> bytes:
    """`header` with `field` written at `offset`, checksum redone."""
    block = bytearray(header)
    block[offset:offset + len(field)] = field
    return with_checksum(bytes(block))


def test_bad_checksum():
    data = bytearray(one_file())
    data[0] = ord("g")
    assert refused(bytes(data)) == "at byte 0 of the tar: bad header checksum"


def test_the_fast_byte_sum_is_the_byte_sum():
    from cvmify.image.tar_reader import _byte_sum

    rng = random.Random(5)
    blocks = [bytes(512), b"\xff" * 512, b"\xff" * 256 + bytes(256)]
    blocks += [bytes(rng.randrange(256) for _ in range(512)) for _ in range(200)]
    assert [_byte_sum(b) for b in blocks] == [sum(b) for b in blocks]


def test_signed_checksums_are_accepted():
    header = bytearray(patched(one_file()[:512], 0, "é".encode()))  # bytes over 127
    signed = sum(b - 256 if b > 127 else b for b in header[:148] + b" " * 8 + header[156:])
    header[148:156] = b"%06o\0 " % signed
    assert ours(io.BytesIO(bytes(header) + one_file()[512:]))[0][0] == "é"


@pytest.mark.parametrize("cut, problem", [
    (1, "at byte 0 of the tar: truncated header (1 of 512 bytes)"),
    (511, "at byte 0 of the tar: truncated header (511 of 512 bytes)"),
    (513, "member 'f': content ends 2 bytes early"),
    (515, "at byte 515 of the tar: archive ends inside member content (509 bytes missing)"),
    (1124, "at byte 1024 of the tar: truncated header (100 of 512 bytes)"),
])
def test_truncation(cut, problem):
    assert refused((one_file() + one_file())[:cut]) == problem


def test_truncated_content_of_a_skipped_member():
    with pytest.raises(UnsafeImageError, match=r"archive ends inside member content \(509 bytes missing\)"):
        list(TarReader(io.BytesIO(one_file()[:515])))


@pytest.mark.parametrize("offset, field, problem", [
    (124, b"\xff" + b"\xff" * 11, "size -1 out of range"),
    (124, b"\x80" + b"\x7f" + b"\xff" * 10, "size 154742504910672534362390527 out of range"),
    (124, b"0000000001x\0", "invalid size field"),
    (124, b"-0000000001\0", "invalid size field"),
    (124, b"00000000019\0", "invalid size field"),
    (108, b"\xff" * 8, "negative mode, uid or gid"),
    (100, b"0 644\0\0\0", "invalid mode field"),
    (136, b"+1234567\0\0\0\0", "invalid mtime field"),
    (257, b"ustar\0xx", "not a ustar, pax or GNU tar header"),
    (257, b"\0" * 8, "not a ustar, pax or GNU tar header"),
    (156, b"V", "unsupported member type b'V'"),
    (156, b"S", "sparse files are not supported"),
    (156, b"X", "unsupported member type b'X'"),
])
def test_malformed_header_fields(offset, field, problem):
    data = patched(one_file()[:512], offset, field) + one_file()[512:]
    kind = UnsupportedImageError if problem.startswith(("unsupported", "sparse")) else UnsafeImageError
    assert problem in refused(data, kind)


def test_negative_mtime_in_base_256_is_read():
    data = patched(one_file()[:512], 136, b"\xff" * 11 + b"\xfe") + one_file()[512:]
    assert ours(io.BytesIO(data))[0][6] == -2


# -- hostile extended headers -------------------------------------------------------------


def extended(kind: bytes, data: bytes, size: int | None = None) -> bytes:
    """An extended header of type `kind` carrying `data` (size field: `size`)."""
    info = tarfile.TarInfo("././@PaxHeader")
    info.type, info.size = kind, len(data) if size is None else size
    return info.tobuf(tarfile.USTAR_FORMAT) + data.ljust(-(-len(data) // 512) * 512, b"\0")


def pax(*records: bytes) -> bytes:
    return extended(tarfile.XHDTYPE, b"".join(records))


def record(key: str, value: str) -> bytes:
    body = f" {key}={value}\n".encode()
    length = len(body) + 1
    length += len(str(length + len(str(length)))) - 1
    return str(length).encode() + body


def test_pax_fields_are_honoured():
    data = pax(record("path", "renamed/"), record("uid", "4000000000"), record("mtime", "12.999"),
               record("uname", "ignored"), record("SCHILY.xattr.user.x", "y")) + one_file()
    assert assert_same(data)[0][:8] == ("renamed", b"0", 3, 0o644, 4000000000, 0, 12, "")


def test_pax_size_decides_where_the_next_header_is():
    data = pax(record("size", "515")) + one_file()[:512] + b"abc".ljust(1024, b"\0") + one_file()
    assert [m[0] for m in assert_same(data)] == ["f", "f"]


@pytest.mark.parametrize("records, problem", [
    (b"99 path=x\n", "length 99 does not match"),
    (b"5 path=x\n", "length 5 does not match"),
    (b"0 path=x\n", "length 0 does not match"),
    (b"10 path=x\0", "length 10 does not match"),
    (b"path=x\n", "has no length"),
    (b" 9 path=x\n", "has no length"),
    (b"9 pathx\n\n", "has no keyword"),
    (b"6 =x\n\n", "has no keyword"),
    (b"8 \xff\xfe=xx\n", "keyword is not UTF-8"),
    (b"9 path=x\n\0\0", "pax record at 9 has no length"),
    (b"12 size=abc\n", "invalid pax size"),
    (b"10 uid=-1\n", "invalid pax uid"),
    (b"14 mtime=1e+9\n", "invalid pax mtime"),
    (record("size", "9" * 20), "pax size 99999999999999999999 out of range"),
    (record("uid", "9" * 21), "invalid pax uid"),
])
def test_pax_records_are_parsed_strictly(records, problem):
    assert problem in refused(pax(records) + one_file())


def test_pax_record_parser_alone():
    assert parse_pax_records(b"11 path=ab\n12 path=abc\n", 0) == {"path": b"abc"}
    assert parse_pax_records(b"", 0) == {}
    with pytest.raises(UnsafeImageError, match="at byte 7 of the tar: pax record at 0"):
        parse_pax_records(b"3 a", 7)


def test_oversized_extended_headers_are_refused_before_they_are_read():
    message = refused(extended(tarfile.XHDTYPE, b"", size=64 << 20))
    assert message == "at byte 0 of the tar: pax header of 67108864 bytes (limit 1048576)"
    message = refused(extended(tarfile.GNUTYPE_LONGNAME, b"", size=4098))
    assert message == "at byte 0 of the tar: GNU long name of 4098 bytes (limit 4096)"


def test_conflicting_extended_headers_are_refused():
    twice = pax(record("uid", "1")) + pax(record("gid", "2")) + one_file()
    assert "second 'x' extended header for one member" in refused(twice)
    both = extended(tarfile.GNUTYPE_LONGNAME, b"gnu-name\0") + pax(record("path", "pax-name")) + one_file()
    assert "two extended headers set the name of one member" in refused(both)


def test_extended_header_without_its_member_is_refused():
    assert "archive ends after an extended header" in refused(pax(record("path", "x")) + b"\0" * 1024)
    assert "archive ends inside an extended header" in refused(pax(record("path", "x" * 600))[:700])


def test_global_pax_headers():
    harmless = extended(tarfile.XGLTYPE, record("comment", "git commit id")) + one_file()
    assert [m[0] for m in assert_same(harmless)] == ["f"]
    renaming = extended(tarfile.XGLTYPE, record("path", "everything")) + one_file()
    assert "global pax header sets 'path'" in refused(renaming, UnsupportedImageError)


def test_pax_sparse_files_are_refused():
    data = pax(record("GNU.sparse.major", "1"), record("GNU.sparse.minor", "0")) + one_file()
    assert "sparse files are not supported" in refused(data, UnsupportedImageError)


# -- random damage ---------------------------------------------------------------------------


def damaged(original: bytes, rng: random.Random, in_headers: bool) -> bytes:
    """`original` with a few bytes changed (inside headers, their checksums
    redone, when `in_headers`) and maybe cut short."""
    data = bytearray(original)
    headers = [i for i in range(0, len(data), 512) if data[i + 257:i + 262] == b"ustar"]
    for _ in range(rng.randint(1, 4)):
        if in_headers:
            start = rng.choice(headers)
            data[start + rng.choice([rng.randrange(512), rng.randrange(100, 160)])] = rng.randrange(256)
            data[start:start + 512] = with_checksum(bytes(data[start:start + 512]))
        else:
            data[rng.randrange(len(data))] = rng.randrange(256)
    if rng.random() < 0.3:
        del data[rng.randrange(len(data)):]
    return bytes(data)


@pytest.mark.parametrize("in_headers", [False, True], ids=["anywhere", "in-headers"])
def test_random_damage_never_escapes_as_another_exception(in_headers):
    """Random damage (fixed seed) to a tar in each format: either it still
    reads, or a CvmifyError says why in one line."""
    rng = random.Random(1234)
    for fmt in (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        original = sample_tar(fmt)
        for _ in range(300):
            try:
                ours(io.BytesIO(damaged(original, rng, in_headers)))
            except CvmifyError as e:
                assert str(e) and "\n" not in str(e)


# -- through the unpacker ------------------------------------------------------------------


def test_a_damaged_header_mid_layer_fails_the_unpack(tmp_path):
    """tarfile took a bad header after the first as the end of the archive
    and returned a silently shorter tree; the layer is now refused, named."""
    from cvmify.image.source import open_image
    from cvmify.image.unpack import unpack
    from tests.test_image_support import write_layout

    data = bytearray(sample_tar(tarfile.GNU_FORMAT))
    data[1024 + 5] ^= 0x01  # a name byte in the third header
    write_layout(tmp_path / "layout", [bytes(data)])
    with open_image(f"oci:{tmp_path / 'layout'}", tmp_path / "work") as image:
        with pytest.raises(UnsafeImageError) as info:
            unpack(image, tmp_path / "staging")
    message = str(info.value)
    assert message.startswith("layer 1/1 (sha256:") and message.endswith(
        "at byte 1024 of the tar: bad header checksum")
