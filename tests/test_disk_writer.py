"""The disk writer against docs/disk-format.md, checked from the outside.

Where possible the expectations are computed here from the spec (struct
offsets, RFC 5869 HKDF, the root formula) rather than with the code under
test, so a shared misreading of the doc cannot pass unnoticed.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import stat
import struct
import sys
from pathlib import Path

import blake3
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import cvmify

from cvmify.disk.reader import DiskReader
from cvmify.disk.writer import write_disk
from cvmify.errors import IntegrityError, UnsafeImageError, UsageError
from cvmify.image.rootfs import Node, RootFS, new_dir

sys.path.insert(0, str(Path(__file__).parent / "golden"))
import make_golden  # noqa: E402

KEY = bytes(range(100, 132))


@pytest.fixture
def sample(tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    rootfs = make_golden.build_sample_rootfs(staging)
    image = tmp_path / "rootfs.img"
    info = write_disk(rootfs, image, KEY)
    return rootfs, image, info


def hkdf_sha384(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869, written out so the test does not reuse the library's HKDF."""
    prk = hmac.new(salt, ikm, hashlib.sha384).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha384).digest()
        out += block
        counter += 1
    return out[:length]


def test_file_layout_superblock_and_root_follow_the_spec(sample):
    _, image, info = sample
    data = image.read_bytes()
    (magic, version, block_size, block_count, tag_off, data_off, salt,
     itab, icount, root_ino, reserved) = struct.unpack_from("<8sIIQQQ32sQII40s", data, 0)
    assert (magic, version, block_size, tag_off, root_ino) == (b"CVMIFYFS", 1, 4096, 4096, 1)
    assert block_count == info.block_count and itab == 0
    assert icount == info.inode_count == 17
    table_size = (block_count * 16 + 4095) // 4096 * 4096
    assert data_off == 4096 + table_size
    assert len(data) == info.size == data_off + 4096 * block_count
    assert reserved == bytes(40) and data[128:4096] == bytes(3968)
    assert data[4096 + 16 * block_count:data_off] == bytes(table_size - 16 * block_count)
    tags = data[4096:4096 + 16 * block_count]
    assert info.root == hashlib.sha384(data[:128] + tags).digest()


def test_blocks_decrypt_with_the_documented_key_and_nonce(sample):
    _, image, info = sample
    data = image.read_bytes()
    data_off, salt = struct.unpack_from("<Q32s", data, 32)
    key = hkdf_sha384(KEY, salt, b"cvmify disk v1 aes-256-gcm", 32)
    aead = AESGCM(key)
    plain = b""
    for i in range(info.block_count):
        cipher = data[data_off + 4096 * i:data_off + 4096 * (i + 1)]
        tag = data[4096 + 16 * i:4096 + 16 * (i + 1)]
        plain += aead.decrypt(struct.pack("<Q", i) + bytes(4), cipher + tag, None)
    # inode 1 at logical 0 is the root directory, parent 1
    mode, uid, gid, nlink, size, doff, mtime, nsec, parent, count = struct.unpack_from("<IIIIQQqIII", plain, 0)
    assert stat.S_ISDIR(mode) and parent == 1 and nlink == 2 + 5 and count == 6
    # its first record is "bin" (sorted), a symlink
    ino, name_len, dtype, res = struct.unpack_from("<IHBB", plain, doff)
    assert (name_len, dtype, res, plain[doff + 8:doff + 11]) == (3, 10, 0, b"bin")


def test_round_trip_listing_and_contents(sample):
    rootfs, image, info = sample
    expected = make_golden.expected_listing(rootfs)
    with DiskReader(image, KEY, info.root) as reader:
        got = list(reader.walk())
        assert [e.path for e in got] == [item["path"] for item in expected]
        for entry, item in zip(got, expected):
            assert (entry.mode, entry.uid, entry.gid, entry.mtime) == \
                (item["mode"], item["uid"], item["gid"], item["mtime"]), entry.path
            if "sha256" in item:
                data = reader.read_file(entry.path)
                assert len(data) == entry.size == item["size"]
                assert hashlib.sha256(data).hexdigest() == item["sha256"], entry.path
            if "target" in item:
                assert entry.target == item["target"]
        report = reader.verify()
    assert (report.files, report.dirs, report.symlinks) == (9, 7, 1)
    assert report.bytes == sum(item.get("size", 0) for item in expected if "sha256" in item) - 4096  # hard link once
    assert report.blocks == info.block_count and report.root == info.root


def test_hard_links_share_one_inode_and_symlinks_resolve(sample):
    _, image, info = sample
    with DiskReader(image, KEY, info.root) as reader:
        a, b = reader.lookup("/data/f4096"), reader.lookup("/usr/bin/tool-link")
        assert a.inode == b.inode and a.nlink == b.nlink == 2
        assert reader.lookup("/bin").target == "usr/bin"
        assert reader.lookup("/bin/tool").path == "/usr/bin/tool"
        assert reader.read_file("/bin/tool") == make_golden.content("tool", 5000)
        assert reader.read_file("/bin/../../data/f1")  # /usr/bin/../.. == make_golden.content("f1", 1)
        assert reader.lookup("/bin/../data/f1") is None  # that is /usr/data/f1
        assert reader.lookup("/nope") is None and reader.lookup("/data/f1/x") is None
        with pytest.raises(UsageError):
            reader.read_file("/data")
        assert reader.lookup("/srv").mode == stat.S_IFDIR | 0o2775
        assert reader.lookup("/usr").nlink == 3


def test_files_of_a_block_or_more_start_on_a_block_boundary(sample):
    _, image, info = sample
    with DiskReader(image, KEY, info.root) as reader:
        for entry in reader.walk():
            ino = reader.inode(entry.inode)
            if stat.S_ISREG(ino.mode) and ino.size >= 4096:
                assert ino.data_offset % 4096 == 0, entry.path


def decrypt_all(data: bytes) -> tuple[bytes, bytes]:
    """(salt, plaintext of every block) of an image, written out here."""
    block_count, _, data_off, salt = struct.unpack_from("<QQQ32s", data, 16)
    aead = AESGCM(hkdf_sha384(KEY, salt, b"cvmify disk v1 aes-256-gcm", 32))
    plain = b"".join(
        aead.decrypt(struct.pack("<Q", i) + bytes(4),
                     data[data_off + 4096 * i:data_off + 4096 * (i + 1)] + data[4096 + 16 * i:4096 + 16 * (i + 1)],
                     None)
        for i in range(block_count))
    return salt, plain


def test_salt_is_the_documented_keyed_hash_of_the_plaintext(sample):
    _, image, info = sample
    data = image.read_bytes()
    salt, plain = decrypt_all(data)
    itab, icount = struct.unpack_from("<QI", data, 72)
    salt_key = hkdf_sha384(KEY, bytes(48), b"cvmify disk v1 salt key", 32)  # no salt: HashLen zeros
    shape = struct.pack("<IQQI", 1, info.block_count, itab, icount)
    assert salt == blake3.blake3(b"cvmify-disk-salt-v2" + shape + plain, key=salt_key).digest()


def test_same_inputs_give_identical_bytes(tmp_path, sample):
    rootfs, image, info = sample
    again = write_disk(rootfs, tmp_path / "again.img", KEY)
    assert (tmp_path / "again.img").read_bytes() == image.read_bytes() and again == info


def test_one_byte_of_difference_changes_the_image_key(tmp_path, sample):
    """Issue 11, item 5: two builds with one --key that differ in a single
    byte must not share (key, nonce). Before, the salt came from the config
    digest and the epoch, so both used one image key: block 0 (unchanged)
    had the same ciphertext, and the changed block leaked the XOR of the
    plaintexts."""
    rootfs, image, info = sample
    node = rootfs.lookup("/data/f20000")
    changed = bytearray(node.blob.read_bytes())
    changed[10000] ^= 1
    node.blob.write_bytes(bytes(changed))
    other = write_disk(rootfs, tmp_path / "other.img", KEY)
    a, b = image.read_bytes(), (tmp_path / "other.img").read_bytes()
    salt_a, plain_a = decrypt_all(a)
    salt_b, plain_b = decrypt_all(b)
    assert sum(x != y for x, y in zip(plain_a, plain_b)) == 1  # the plaintexts differ in one byte
    assert salt_a != salt_b and other.root != info.root
    data_off = struct.unpack_from("<Q", a, 32)[0]
    for i in range(info.block_count):  # every block, changed or not, encrypts differently
        assert a[data_off + 4096 * i:data_off + 4096 * (i + 1)] != b[data_off + 4096 * i:data_off + 4096 * (i + 1)]


def test_the_salt_reveals_nothing_without_the_key(tmp_path, sample):
    """The host sees the salt; guessing the plaintext must not be testable
    against it without the disk key."""
    rootfs, image, _ = sample
    other_key = bytes(range(200, 232))
    write_disk(rootfs, tmp_path / "k2.img", other_key)
    assert image.read_bytes()[40:72] != (tmp_path / "k2.img").read_bytes()[40:72]
