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

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import cvmify

from cvmify.disk.reader import DiskReader
from cvmify.disk.salt import derive_salt
from cvmify.disk.writer import write_disk
from cvmify.errors import IntegrityError, UnsafeImageError, UsageError
from cvmify.image.rootfs import Node, RootFS, new_dir

sys.path.insert(0, str(Path(__file__).parent / "golden"))
import make_golden  # noqa: E402

KEY = bytes(range(100, 132))
SALT = derive_salt("sha256:" + "ab" * 32, 1234)


@pytest.fixture
def sample(tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    rootfs = make_golden.build_sample_rootfs(staging)
    image = tmp_path / "rootfs.img"
    info = write_disk(rootfs, image, KEY, SALT)
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
    assert block_count == info.block_count and salt == SALT and itab == 0
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
    data_off = struct.unpack_from("<Q", data, 32)[0]
    key = hkdf_sha384(KEY, SALT, b"cvmify disk v1 aes-256-gcm", 32)
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


def test_same_inputs_give_identical_bytes_and_salt_changes_everything(tmp_path, sample):
    rootfs, image, info = sample
    again = write_disk(rootfs, tmp_path / "again.img", KEY, SALT)
    assert (tmp_path / "again.img").read_bytes() == image.read_bytes() and again == info
    other = write_disk(rootfs, tmp_path / "other.img", KEY, derive_salt("sha256:" + "ab" * 32, None))
    assert other.root != info.root
    a, b = image.read_bytes(), (tmp_path / "other.img").read_bytes()
    data_off = struct.unpack_from("<Q", a, 32)[0]
    assert a[data_off:data_off + 4096] != b[data_off:data_off + 4096]


def test_derive_salt_matches_the_documented_formula():
    digest = "sha256:" + "cd" * 32
    prefix = b"cvmify-disk-salt-v1" + b"\x01\x00\x00\x00" + cvmify.__version__.encode() + b"\x00"
    want = hashlib.sha256(prefix + digest.encode() + b"\x00" + b"42").digest()
    assert derive_salt(digest, 42) == want
    want_none = hashlib.sha256(prefix + digest.encode() + b"\x00-").digest()
    assert derive_salt(digest, None) == want_none
    assert derive_salt(digest, 0) != want_none


def test_random_tree_round_trip(tmp_path):
    """Many small files straddling block boundaries, one spanning several write chunks."""
    rng = random.Random(7)
    staging = tmp_path / "s"
    staging.mkdir()
    rootfs = RootFS(root=new_dir(), staging=staging)
    expected: dict[str, bytes] = {}
    dirs = [("", rootfs.root)]
    for i in range(300):
        parent_path, parent = rng.choice(dirs)
        name = f"n{i}-" + "x" * rng.randrange(0, 40)
        path = parent_path + "/" + name
        if rng.random() < 0.15:
            node = new_dir(0o700, mtime=i)
            node.parent = parent
            dirs.append((path, node))
        else:
            size = rng.choice([0, 1, 100, 3000, 4095, 4096, 5000, 9000, 2_600_000 if i == 150 else 70])
            data = rng.randbytes(size)
            blob = staging / f"b{i}"
            blob.write_bytes(data)
            node = Node(mode=stat.S_IFREG | 0o600, uid=i, gid=i + 1, mtime=-i, size=size, blob=blob)
            expected[path] = data
        parent.children[name] = node
    info = write_disk(rootfs, tmp_path / "r.img", KEY, SALT)
    with DiskReader(tmp_path / "r.img", KEY, info.root) as reader:
        report = reader.verify()
        assert report.files == len(expected) and report.dirs == len(dirs)
        for path, data in expected.items():
            assert reader.read_file(path) == data, path
        assert [e.path for e in reader.walk()] == [p for p, _ in rootfs.iter_nodes()]
        assert all(e.mtime == rootfs.lookup(e.path, False).mtime for e in reader.walk())


def test_empty_root(tmp_path):
    info = write_disk(RootFS(root=new_dir(mtime=5)), tmp_path / "e.img", KEY, SALT)
    assert info.block_count == 1 and info.inode_count == 1
    with DiskReader(tmp_path / "e.img", KEY, info.root) as reader:
        assert [e.path for e in reader.walk()] == ["/"]
        assert reader.verify().dirs == 1


def _tree(tmp_path: Path, name: str, node: Node) -> RootFS:
    rootfs = RootFS(root=new_dir(), staging=tmp_path)
    rootfs.root.children[name] = node
    return rootfs


@pytest.mark.parametrize("target", ["", "x" * 4096, "a\0b"])
def test_bad_symlink_targets_are_refused(tmp_path, target):
    rootfs = _tree(tmp_path, "l", Node(mode=stat.S_IFLNK | 0o777, target=target))
    with pytest.raises(UnsafeImageError):
        write_disk(rootfs, tmp_path / "x.img", KEY, SALT)
    assert not (tmp_path / "x.img").exists()


def test_longest_symlink_target_is_accepted(tmp_path):
    rootfs = _tree(tmp_path, "l", Node(mode=stat.S_IFLNK | 0o777, target="y" * 4095))
    info = write_disk(rootfs, tmp_path / "x.img", KEY, SALT)
    with DiskReader(tmp_path / "x.img", KEY, info.root) as reader:
        assert reader.lookup("/l").target == "y" * 4095


def test_long_names_are_refused(tmp_path):
    rootfs = _tree(tmp_path, "n" * 256, Node(mode=stat.S_IFREG | 0o644))
    with pytest.raises(UnsafeImageError):
        write_disk(rootfs, tmp_path / "x.img", KEY, SALT)
    # 255 bytes of UTF-8 in fewer characters is fine, 256 is not
    ok = _tree(tmp_path, "é" * 127 + "a", Node(mode=stat.S_IFREG | 0o644))
    write_disk(ok, tmp_path / "y.img", KEY, SALT)
    bad = _tree(tmp_path, "é" * 128, Node(mode=stat.S_IFREG | 0o644))
    with pytest.raises(UnsafeImageError):
        write_disk(bad, tmp_path / "z.img", KEY, SALT)


def test_a_blob_that_changed_since_unpacking_is_an_integrity_error(tmp_path):
    blob = tmp_path / "blob"
    blob.write_bytes(b"12345")
    rootfs = _tree(tmp_path, "f", Node(mode=stat.S_IFREG | 0o644, size=4, blob=blob))
    with pytest.raises(IntegrityError):
        write_disk(rootfs, tmp_path / "x.img", KEY, SALT)
    assert not (tmp_path / "x.img").exists()
    rootfs = _tree(tmp_path, "f", Node(mode=stat.S_IFREG | 0o644, size=3))  # no blob
    with pytest.raises(IntegrityError):
        write_disk(rootfs, tmp_path / "x.img", KEY, SALT)


def test_special_files_are_not_stored(tmp_path, caplog):
    rootfs = _tree(tmp_path, "null", Node(mode=stat.S_IFCHR | 0o666))
    rootfs.root.children["fifo"] = Node(mode=stat.S_IFIFO | 0o600)
    info = write_disk(rootfs, tmp_path / "x.img", KEY, SALT)
    with DiskReader(tmp_path / "x.img", KEY, info.root) as reader:
        assert [e.path for e in reader.walk()] == ["/"]
    assert "special file" in caplog.text


def test_key_and_salt_sizes_are_checked(tmp_path):
    rootfs = RootFS()
    with pytest.raises(UsageError):
        write_disk(rootfs, tmp_path / "x.img", KEY[:16], SALT)
    with pytest.raises(UsageError):
        write_disk(rootfs, tmp_path / "x.img", KEY, SALT[:8])


def test_wrong_key_fails_on_first_block(sample):
    _, image, info = sample
    with DiskReader(image, bytes(32), info.root) as reader:  # the root does not depend on the key
        with pytest.raises(IntegrityError, match="block 0"):
            reader.lookup("/etc")
