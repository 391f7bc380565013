"""Tampering with a disk image must always be caught.

The guest trusts one 48-byte disk root from the measured config; with it,
DiskReader.verify() must reject any change to the file: a flipped byte in
any region (superblock, its zero padding, tag table, tag padding,
ciphertext), a truncated or extended file, swapped or moved blocks, and a
block spliced in from an older image written with the same key.
"""

from __future__ import annotations

import os
import shutil
import stat
import struct
from pathlib import Path

import pytest

from cvmify.disk.reader import DiskReader
from cvmify.disk.writer import write_disk
from cvmify.errors import IntegrityError
from cvmify.image.rootfs import Node, RootFS, new_dir

KEY = bytes(range(32, 64))
GOLDEN = Path(__file__).parent / "golden"


def tiny_rootfs(staging: Path, big: bytes) -> RootFS:
    """Three blocks: metadata, then a 5000-byte file on a block boundary."""
    rootfs = RootFS(root=new_dir(), staging=staging)
    blob = staging / "big"
    blob.write_bytes(big)
    rootfs.root.children["big"] = Node(mode=stat.S_IFREG | 0o644, size=len(big), blob=blob)
    rootfs.root.children["link"] = Node(mode=stat.S_IFLNK | 0o777, target="big")
    sub = new_dir(0o700)
    sub.parent = rootfs.root
    rootfs.root.children["sub"] = sub
    small = staging / "small"
    small.write_bytes(b"hello\n")
    sub.children["small"] = Node(mode=stat.S_IFREG | 0o600, size=6, blob=small)
    return rootfs


@pytest.fixture
def tiny(tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    image = tmp_path / "tiny.img"
    info = write_disk(tiny_rootfs(staging, bytes(range(256)) * 19 + b"x" * 136), image, KEY)
    assert info.block_count == 3 and info.size == 5 * 4096
    return image, info.root


def verify(image: Path, root: bytes | None, key: bytes = KEY):
    with DiskReader(image, key, root) as reader:
        return reader.verify()


def undetected_flips(image: Path, root: bytes, key: bytes, offsets) -> list[int]:
    """Flip one bit at each offset (in place, restored after); return the misses."""
    missed = []
    fd = os.open(image, os.O_RDWR)
    try:
        for offset in offsets:
            original = os.pread(fd, 1, offset)
            os.pwrite(fd, bytes([original[0] ^ (1 << (offset % 8))]), offset)
            try:
                verify(image, root, key)
                missed.append(offset)
            except IntegrityError:
                pass
            finally:
                os.pwrite(fd, original, offset)
    finally:
        os.close(fd)
    verify(image, root, key)  # restored: still good, so every hit above was the flip
    return missed


def test_every_single_byte_flip_is_detected(tiny):
    image, root = tiny
    verify(image, root)
    assert undetected_flips(image, root, KEY, range(image.stat().st_size)) == []


def test_flips_in_every_block_of_the_golden_image_are_detected(tmp_path):
    image = tmp_path / "small.img"
    shutil.copy(GOLDEN / "small.img", image)
    key = (GOLDEN / "small.key").read_bytes()
    root = verify(image, None, key).root
    size = image.stat().st_size
    offsets = set(range(0, 128)) | set(range(4096, 4096 + 16 * 12))  # superblock, tags
    offsets |= set(range(0, size, 97))  # a stride over everything
    for block_start in range(0, size, 4096):  # both ends of every 4 KiB region
        offsets |= {block_start, block_start + 1, block_start + 4095}
    assert undetected_flips(image, root, key, sorted(offsets)) == []


@pytest.mark.parametrize("delta", [-1, -4096, 1, 4096])
def test_truncated_or_extended_file_is_refused(tiny, delta):
    image, root = tiny
    size = image.stat().st_size
    with open(image, "r+b") as f:
        f.truncate(size + delta)
    with pytest.raises(IntegrityError, match="bytes"):
        verify(image, root)
    with pytest.raises(IntegrityError):
        verify(image, None)


def _region(data: bytes, block: int) -> tuple[slice, slice]:
    """(ciphertext, tag) slices of block `block` in the image bytes."""
    data_off = struct.unpack_from("<Q", data, 32)[0]
    return (slice(data_off + 4096 * block, data_off + 4096 * (block + 1)),
            slice(4096 + 16 * block, 4096 + 16 * (block + 1)))


def test_swapped_blocks_are_refused_even_with_their_tags(tiny):
    image, root = tiny
    data = bytearray(image.read_bytes())
    (c1, t1), (c2, t2) = _region(data, 1), _region(data, 2)
    data[c1], data[c2] = data[c2], data[c1]
    data[t1], data[t2] = data[t2], data[t1]
    image.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="root mismatch"):
        verify(image, root)
    # without the root, the nonce (the block index) still binds each block to its place
    with pytest.raises(IntegrityError, match="block 1"):
        verify(image, None)


def test_swapped_ciphertext_with_tags_in_place_is_refused(tiny):
    image, root = tiny
    data = bytearray(image.read_bytes())
    (c0, _), (c2, _) = _region(data, 0), _region(data, 2)
    data[c0], data[c2] = data[c2], data[c0]
    image.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="block 0"):
        verify(image, root)


def test_block_from_an_older_image_with_the_same_key_is_refused(tmp_path):
    """Same disk key, one changed block (a rebuild of a changed image): the
    salt commits to the plaintext, so the old image has another image key
    and its block fails its tag; the root refuses the splice as well."""
    old_dir, new_dir_ = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    new_dir_.mkdir()
    old_info = write_disk(tiny_rootfs(old_dir, b"A" * 5000), tmp_path / "old.img", KEY)
    new_info = write_disk(tiny_rootfs(new_dir_, b"A" * 4096 + b"B" * 904), tmp_path / "new.img", KEY)
    old, new = (tmp_path / "old.img").read_bytes(), bytearray((tmp_path / "new.img").read_bytes())
    cipher, tag = _region(new, 2)
    assert old[cipher] != new[cipher]  # the files differ in block 2 only
    new[cipher], new[tag] = old[cipher], old[tag]
    spliced = tmp_path / "spliced.img"
    spliced.write_bytes(bytes(new))
    with pytest.raises(IntegrityError, match="root mismatch"):
        verify(spliced, new_info.root)
    with pytest.raises(IntegrityError, match="block 2"):  # even without the root
        verify(spliced, None)
    # the whole old image is refused as well
    with pytest.raises(IntegrityError, match="root mismatch"):
        verify(tmp_path / "old.img", new_info.root)
    assert old_info.root != new_info.root
    # splicing the ciphertext without its tag fails even without a root
    new[tag] = (tmp_path / "new.img").read_bytes()[tag]
    spliced.write_bytes(bytes(new))
    with pytest.raises(IntegrityError, match="block 2"):
        verify(spliced, None)


def test_wrong_expected_root_is_refused(tiny):
    image, root = tiny
    with pytest.raises(IntegrityError, match="root mismatch"):
        verify(image, bytes([root[0] ^ 1]) + root[1:])
