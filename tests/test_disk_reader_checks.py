"""The reader's bound checks on authenticated content.

Each image here is validly encrypted and carries a correct root, but its
plaintext breaks one rule of docs/disk-format.md, as a writer bug would.
The reader must refuse it with IntegrityError, never crash or misread.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import stat
import struct
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cvmify.disk.encryptor import BlockEncryptor
from cvmify.disk.keys import image_key
from cvmify.disk.layout import Superblock, tag_table_size
from cvmify.disk.reader import DiskReader
from cvmify.errors import IntegrityError

GOLDEN = Path(__file__).parent / "golden"
KEY = (GOLDEN / "small.key").read_bytes()
META = json.loads((GOLDEN / "small.json").read_text())
INODE = {item["path"]: item["inode"] for item in META["listing"]}
SALT = bytes.fromhex(META["salt"])


def golden_plaintext() -> bytearray:
    with DiskReader(GOLDEN / "small.img", KEY, bytes.fromhex(META["root"])) as reader:
        return bytearray(reader.read_logical(0, reader.logical_size))


def seal(path: Path, plain: bytes, inode_count: int = META["inode_count"], **superblock) -> bytes:
    """Encrypt `plain` as a complete image at `path`; return its root."""
    block_count = len(plain) // 4096
    out = io.BytesIO()
    encryptor = BlockEncryptor(out, AESGCM(image_key(KEY, SALT)), block_count)
    encryptor.write(plain)
    tags = encryptor.finish()
    fields = dict(block_count=block_count, inode_table_offset=0, inode_count=inode_count, salt=SALT)
    fields.update(superblock)
    head = Superblock(**fields).pack()
    path.write_bytes(head + bytes(4096 - 128) + tags + bytes(tag_table_size(block_count) - len(tags))
                     + out.getvalue())
    return hashlib.sha384(head + tags).digest()


def inode_at(number: int) -> int:
    return 64 * (number - 1)


def root_dir_offset(plain: bytes) -> int:
    return struct.unpack_from("<Q", plain, 24)[0]  # inode 1's data_offset


def test_resealed_golden_plaintext_is_accepted(tmp_path):
    """The helper itself: an unchanged plaintext gives the golden root."""
    root = seal(tmp_path / "x.img", bytes(golden_plaintext()))
    assert root.hex() == META["root"]
    with DiskReader(tmp_path / "x.img", KEY, root) as reader:
        assert reader.verify().files == META["counts"]["files"]


def _set(fmt: str, offset_of, value):
    def change(plain: bytearray) -> None:
        struct.pack_into(fmt, plain, offset_of(plain), value)
    return change


FILE = INODE["/data/f1"]
DIR = INODE["/data"]
LINK = INODE["/bin"]
CASES = {
    "unknown inode type": _set("<I", lambda p: inode_at(FILE), stat.S_IFCHR | 0o644),
    "inode reserved bytes": _set("<B", lambda p: inode_at(FILE) + 63, 1),
    "mtime_nsec too large": _set("<I", lambda p: inode_at(FILE) + 40, 1_000_000_000),
    "file content past the image": _set("<Q", lambda p: inode_at(FILE) + 24, 12 * 4096),
    "file size past the image": _set("<Q", lambda p: inode_at(FILE) + 16, 1 << 62),
    "symlink of length 0": _set("<Q", lambda p: inode_at(LINK) + 16, 0),
    "symlink of length 4096": _set("<Q", lambda p: inode_at(LINK) + 16, 4096),
    "parent set on a file": _set("<I", lambda p: inode_at(FILE) + 44, 1),
    "nlink 0": _set("<I", lambda p: inode_at(FILE) + 12, 0),
    "wrong nlink on a file": _set("<I", lambda p: inode_at(FILE) + 12, 2),
    "wrong nlink on a directory": _set("<I", lambda p: inode_at(DIR) + 12, 3),
    "wrong parent of a directory": _set("<I", lambda p: inode_at(DIR) + 44, DIR),
    "parent out of range": _set("<I", lambda p: inode_at(DIR) + 44, 999),
    "root parent not itself": _set("<I", lambda p: inode_at(1) + 44, 2),
    "more entries than fit": _set("<I", lambda p: inode_at(1) + 48, 10_000),
    "entry count too small": _set("<I", lambda p: inode_at(1) + 48, 5),
    "dirent inode 0": _set("<I", root_dir_offset, 0),
    "dirent inode out of range": _set("<I", root_dir_offset, 18),
    "dirent name length 0": _set("<H", lambda p: root_dir_offset(p) + 4, 0),
    "dirent name past the directory": _set("<H", lambda p: root_dir_offset(p) + 4, 255),
    "dirent type mismatch": _set("<B", lambda p: root_dir_offset(p) + 6, 8),
    "dirent unknown type": _set("<B", lambda p: root_dir_offset(p) + 6, 2),
    "dirent reserved byte": _set("<B", lambda p: root_dir_offset(p) + 7, 1),
    "dirent padding": _set("<B", lambda p: root_dir_offset(p) + 11, 1),  # "bin" + 1 pad byte
    "name with a slash": _set("<B", lambda p: root_dir_offset(p) + 9, ord("/")),
    "names out of order": _set("<3s", lambda p: root_dir_offset(p) + 8, b"zzz"),
    "directory cycle": _set("<I", lambda p: root_dir_offset(p) + 12, 1),  # "data" -> root
}
COUNT_RULES = {"wrong nlink on a directory", "wrong nlink on a file"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_authenticated_but_malformed_metadata_is_refused(tmp_path, case):
    plain = golden_plaintext()
    CASES[case](plain)
    root = seal(tmp_path / "bad.img", bytes(plain))
    with DiskReader(tmp_path / "bad.img", KEY, root) as reader:
        with pytest.raises(IntegrityError):
            reader.verify()
    if case in COUNT_RULES:
        return  # link counts need the whole tree: verify() checks them, walk() does not
    with DiskReader(tmp_path / "bad.img", KEY, root) as reader:
        with pytest.raises(IntegrityError):
            list(reader.walk())


@pytest.mark.parametrize("fields", [
    {"inode_count": 0},
    {"inode_count": 12 * 64 + 1},  # table longer than the image
    {"inode_table_offset": 32},
    {"inode_table_offset": 12 * 4096},
    {"root_inode": 2},
    {"version": 2},
    {"magic": b"CVMIFYFZ"},
    {"block_size": 512},
    {"tag_table_offset": 8192},
    {"data_offset": 4096},
    {"reserved": b"\x01" + bytes(39)},
])
def test_superblock_rules_are_checked(tmp_path, fields):
    root = seal(tmp_path / "bad.img", bytes(golden_plaintext()), **fields)
    with pytest.raises(IntegrityError, match="superblock"):
        DiskReader(tmp_path / "bad.img", KEY, root)


def test_random_plaintext_corruption_never_escapes_as_another_error(tmp_path):
    """Mutate metadata bytes at random: verify() either passes or raises
    IntegrityError; any other exception is a reader bug."""
    rng = random.Random(2024)
    base = golden_plaintext()
    metadata_end = 4096  # inodes, directories and symlink targets live in block 0
    refused = 0
    for _ in range(300):
        plain = bytearray(base)
        for _ in range(rng.randrange(1, 4)):
            plain[rng.randrange(metadata_end)] = rng.randrange(256)
        root = seal(tmp_path / "fuzz.img", bytes(plain))
        try:
            with DiskReader(tmp_path / "fuzz.img", KEY, root) as reader:
                reader.verify()
                for entry in reader.walk():
                    if stat.S_ISREG(entry.mode):
                        reader.read_file(entry.path)
        except IntegrityError:
            refused += 1
    assert refused > 100  # most random metadata changes break some rule
