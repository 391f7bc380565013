"""The volume format in Python (cvmify/volume/): a writer and a reader
that keep docs/volume-format.md, and the attacks it must detect: tampered
blocks and headers, swapped and replayed blocks, rolled-back files, torn
header writes, and nonces that never repeat."""

from __future__ import annotations

import os
import shutil
import struct

import pytest

from cvmify.errors import IntegrityError
from cvmify.volume.fs import VolumeFS, mkfs, pack_dir, parse_dir_block
from cvmify.volume.keys import VolumeKeys
from cvmify.volume.layout import (
    BLOCK_SIZE, FANOUT, FLAG_FRESH, HEADER_SIZE, MAC_OFFSET, BlockPtr, Header, Inode,
    capacity, empty_dir_block,
)
from cvmify.volume.store import NoSpace, open_volume, read_slots

KEY = bytes(range(32))


@pytest.fixture
def vol(tmp_path):
    path = tmp_path / "v.img"
    state = mkfs(path, KEY, 2048)
    return path, state


def write(path, state, fill):
    with open_volume(path, KEY, state, writable=True) as v:
        fill(VolumeFS(v))
        return v.commit()


def all_ptrs(v):
    out = list(v.walk(v._table))
    for ino in range(1, len(v.inodes)):
        if not v.inodes[ino].is_free:
            out += list(v.walk(v.obj(ino)))
    return [p for _, _, p in out]


def test_layout_sizes_and_round_trips():
    h = Header(uuid=bytes(16), block_count=256, generation=1, epoch=1, inode_table_size=4096,
               inode_table_root=BlockPtr(2, b"n" * 12, b"t" * 16), inode_table_depth=0,
               used_blocks=1, inode_count=1, flags=FLAG_FRESH)
    assert len(h.pack_body()) == MAC_OFFSET
    assert Header.unpack(h.pack_body()) == h
    inode = Inode(mode=0o100644, nlink=1, size=5, root=BlockPtr(9, b"a" * 12, b"b" * 16), depth=0, blocks=1)
    assert len(inode.pack()) == 128 and Inode.unpack(inode.pack()) == inode
    assert [capacity(d) for d in range(3)] == [4096, 4096 * 128, 4096 * 128 * 128]
    assert FANOUT == 128


def test_directory_blocks_tile_and_parse():
    names = [(f"file-{i:04d}".encode() * 3, 10 + i, 8) for i in range(300)]
    content = pack_dir(names)
    assert len(content) % BLOCK_SIZE == 0 and len(content) > BLOCK_SIZE
    parsed = []
    for b in range(len(content) // BLOCK_SIZE):
        parsed += parse_dir_block(content[b * BLOCK_SIZE:(b + 1) * BLOCK_SIZE], "test")
    assert [(d.name, d.inode, d.dtype) for d in parsed] == names
    assert parse_dir_block(empty_dir_block(), "test") == []
    bad = bytearray(content[:BLOCK_SIZE])
    struct.pack_into("<H", bad, 4, 4)  # rec_len below the header size
    with pytest.raises(IntegrityError):
        parse_dir_block(bytes(bad), "test")


def test_new_volume_is_an_empty_fresh_root(vol):
    path, state = vol
    assert path.stat().st_size == 2048 * BLOCK_SIZE
    assert path.stat().st_blocks * 512 < 64 * 1024  # sparse
    with open_volume(path, KEY, state) as v:
        assert v.header.flags & FLAG_FRESH and v.header.generation == 1
        assert VolumeFS(v).listdir("/") == []
        assert v.inode(1).mode == 0o40755 and v.inode(1).nlink == 2


def test_files_survive_reopen_at_every_depth(vol):
    path, state = vol
    big = os.urandom(capacity(1) + 3 * BLOCK_SIZE + 17)  # depth 2
    sparse = bytes(BLOCK_SIZE * 200) + b"tail"

    def fill(fs):
        fs.mkdir("/d")
        fs.write_file("/d/small", b"hello")
        fs.write_file("/big", big, mode=0o600, uid=7, gid=8)
        fs.write_file("/sparse", sparse)
        fs.symlink("d/small", "/link")

    state = write(path, state, fill)
    with open_volume(path, KEY, state) as v:
        fs = VolumeFS(v)
        assert fs.read_file("/big") == big and fs.read_file("/link") == b"hello"
        assert fs.read_file("/sparse") == sparse
        big_inode = v.inode(fs.lookup("/big"))
        assert (big_inode.depth, big_inode.uid, big_inode.gid, big_inode.mode) == (2, 7, 8, 0o100600)
        assert v.inode(fs.lookup("/sparse")).blocks == 3  # the node and 2 data blocks, the rest holes
        assert sorted(e.path for e in fs.walk()) == ["/big", "/d", "/d/small", "/link", "/sparse"]
        assert v.inode(1).nlink == 3


def test_rewrite_is_copy_on_write_and_frees_old_blocks(vol):
    path, state = vol
    state = write(path, state, lambda fs: fs.write_file("/f", b"a" * 3 * BLOCK_SIZE))

    def file_blocks(v):
        return {p.block for _, _, p in v.walk(v.obj(VolumeFS(v).lookup("/f")))}

    with open_volume(path, KEY, state) as v:
        before, unchanged = file_blocks(v), v.inode(1).root.block
        used = v.header.used_blocks
    state = write(path, state, lambda fs: fs.write_file("/f", b"b" * 3 * BLOCK_SIZE))
    with open_volume(path, KEY, state) as v:
        assert before.isdisjoint(file_blocks(v))  # the changed file moved: nothing overwritten
        assert v.inode(1).root.block == unchanged  # the unchanged directory stayed
        assert v.header.used_blocks == used  # and the old blocks were freed
    state = write(path, state, lambda fs: fs.unlink("/f"))
    with open_volume(path, KEY, state) as v:
        assert v.header.used_blocks == 1  # the inode table (an empty directory has no block)
        assert v.header.inode_count == 1


def test_nonces_never_repeat_across_writers(vol):
    path, state = vol
    seen = set()
    for round_ in range(4):
        state = write(path, state, lambda fs: fs.write_file("/f", bytes([round_]) * 2 * BLOCK_SIZE))
        with open_volume(path, KEY, state) as v:
            for p in all_ptrs(v):
                seen.add((p.block, p.nonce))
            epochs = {int.from_bytes(p.nonce[:4], "little") for p in all_ptrs(v)}
            assert max(epochs) <= v.header.epoch
    nonces = [n for _, n in seen]
    assert len(nonces) == len(set(nonces))


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 1]))


def test_a_tampered_data_block_fails_its_read_only(vol):
    path, state = vol
    state = write(path, state, lambda fs: (fs.write_file("/a", b"x" * 5000), fs.write_file("/b", b"y")))
    with open_volume(path, KEY, state) as v:
        fs = VolumeFS(v)
        block = v.inode(fs.lookup("/a")).root
    with open_volume(path, KEY, state) as v:
        node = v.load(block, "node")
        data_block = BlockPtr.unpack(node, 0).block
    flip(path, data_block * BLOCK_SIZE + 100)
    with open_volume(path, KEY, state) as v:  # metadata is intact: it opens
        fs = VolumeFS(v)
        assert fs.read_file("/b") == b"y"
        with pytest.raises(IntegrityError, match="failed authentication"):
            fs.read_file("/a")


def test_a_tampered_node_or_inode_table_is_refused_at_open(vol):
    path, state = vol
    state = write(path, state, lambda fs: fs.write_file("/a", b"x" * 5000))
    with open_volume(path, KEY, state) as v:
        table = v.header.inode_table_root.block
        node = v.inode(VolumeFS(v).lookup("/a")).root.block
    for block in (table, node):
        copy = path.with_suffix(f".{block}")
        shutil.copy(path, copy)
        flip(copy, block * BLOCK_SIZE + 7)
        with pytest.raises(IntegrityError, match="failed authentication"):
            open_volume(copy, KEY, state)


def test_swapped_and_replayed_blocks_are_detected(vol):
    path, state = vol
    state = write(path, state, lambda fs: fs.write_file("/a", b"1" * 2 * BLOCK_SIZE))
    with open_volume(path, KEY, state) as v:
        node = v.load(v.inode(VolumeFS(v).lookup("/a")).root, "node")
        first, second = BlockPtr.unpack(node, 0).block, BlockPtr.unpack(node, 32).block
    raw = path.read_bytes()
    # swap the two data blocks of /a
    swapped = bytearray(raw)
    swapped[first * BLOCK_SIZE:(first + 1) * BLOCK_SIZE] = raw[second * BLOCK_SIZE:(second + 1) * BLOCK_SIZE]
    path.write_bytes(swapped)
    with open_volume(path, KEY, state) as v, pytest.raises(IntegrityError):
        VolumeFS(v).read_file("/a")
    path.write_bytes(raw)
    # replay: an old version of a block put back where a newer one is expected
    old_block = raw[first * BLOCK_SIZE:(first + 1) * BLOCK_SIZE]
    state = write(path, state, lambda fs: fs.write_file("/a", b"2" * 2 * BLOCK_SIZE))
    with open_volume(path, KEY, state) as v:
        node = v.load(v.inode(VolumeFS(v).lookup("/a")).root, "node")
        new_first = BlockPtr.unpack(node, 0).block
    with open(path, "r+b") as f:
        f.seek(new_first * BLOCK_SIZE)
        f.write(old_block)
    with open_volume(path, KEY, state) as v, pytest.raises(IntegrityError):
        VolumeFS(v).read_file("/a")


def test_header_tamper_wrong_key_and_expected_state(vol):
    path, state = vol
    with pytest.raises(IntegrityError, match="no valid volume header"):
        open_volume(path, bytes(32), state)
    state2 = write(path, state, lambda fs: fs.write_file("/a", b"x"))
    with pytest.raises(IntegrityError, match="not in the state"):
        open_volume(path, KEY, state)  # an older state than the file holds
    slot = 1 - (state2.generation % 2)
    flip(path, slot * BLOCK_SIZE + 112)  # inode_count of the newest slot: its MAC fails
    with open_volume(path, KEY) as v:  # the tools fall back to the older valid state
        assert v.header.generation == state2.generation - 1
    with pytest.raises(IntegrityError):
        open_volume(path, KEY, state2)


def test_a_torn_commit_leaves_the_previous_state(vol, monkeypatch):
    path, state = vol
    state = write(path, state, lambda fs: fs.write_file("/a", b"old"))
    from cvmify.volume import store

    real_switch = store.Volume._switch
    calls = []

    def torn(self, header):
        calls.append(header.generation)
        if len(calls) == 2:  # the data commit, after the epoch reservation
            body = header.pack_body()
            slot = (body + self.keys.mac(body))[:HEADER_SIZE // 2]  # half a header reached the disk
            os.pwrite(self._fd, slot, (0 if header.generation % 2 else 1) * BLOCK_SIZE)
            raise OSError("power cut")
        return real_switch(self, header)

    monkeypatch.setattr(store.Volume, "_switch", torn)
    with pytest.raises(OSError):
        write(path, state, lambda fs: fs.write_file("/a", b"new" * 5000))
    monkeypatch.setattr(store.Volume, "_switch", real_switch)
    with open_volume(path, KEY) as v:
        assert VolumeFS(v).read_file("/a") == b"old"
        assert v.header.generation == calls[0]  # the reservation commit, same tree


def test_full_volume_raises_no_space(tmp_path):
    path = tmp_path / "small.img"
    state = mkfs(path, KEY, 256)
    with open_volume(path, KEY, state, writable=True) as v:
        VolumeFS(v).write_file("/f", os.urandom(200 * BLOCK_SIZE))
        v.commit()
        with pytest.raises(NoSpace):
            VolumeFS(v).write_file("/g", os.urandom(100 * BLOCK_SIZE))
            v.commit()


def test_slots_alternate_by_generation(vol):
    path, state = vol
    for _ in range(3):
        state = write(path, state, lambda fs: None)
    with open(path, "rb") as f:
        slots = read_slots(path, f.fileno(), VolumeKeys.derive(KEY, open_volume(path, KEY).header.uuid))
    assert sorted((s.index, s.header.generation % 2) for s in slots) == [(0, 1), (1, 0)]


def test_malformed_authentic_metadata_gives_clean_errors(tmp_path):
    """Corrupt inode-table and directory blocks, committed with valid tags
    (what a writer bug could leave): reading gives IntegrityError or
    UsageError, never a crash of the reader itself."""
    import random

    from cvmify.errors import CvmifyError

    rng = random.Random(7)
    base = tmp_path / "base.img"
    state = mkfs(base, KEY, 512)
    state = write(base, state, lambda fs: (fs.mkdir("/d"), fs.write_file("/d/f", b"x" * 9000),
                                           fs.symlink("d/f", "/l"),
                                           [fs.write_file(f"/n{i:02d}", b"") for i in range(40)]))
    outcomes = {"error": 0, "read": 0}
    for round_ in range(150):
        path = tmp_path / f"r{round_}.img"
        shutil.copy(base, path)
        with open_volume(path, KEY, state, writable=True) as v:
            target = v._table if rng.random() < 0.5 else v.obj(rng.choice([1, VolumeFS(v).lookup("/d")]))
            page = bytearray(v.read_block(target, 0))
            for _ in range(rng.randint(1, 4)):
                page[rng.randrange(512)] = rng.randrange(256)
            target.dirty_data[0] = bytes(page)
            if target.depth > 0:
                v._dirty_path(target, 1, 0)
            bad = v.commit()
        try:
            with open_volume(path, KEY, bad) as v:
                fs = VolumeFS(v)
                for entry in fs.walk():
                    if entry.inode.dtype == 8:
                        v.read_all(v.obj(entry.ino))
            outcomes["read"] += 1
        except CvmifyError:
            outcomes["error"] += 1
        path.unlink()
    assert outcomes["error"] > 0
