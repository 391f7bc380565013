#!/usr/bin/env python3
"""Write the golden volume used by the kernel's host tests and ours.

Run from the repository root:  python tests/golden/make_volume_golden.py
It rewrites tests/golden/volume.img, volume.key and volume.json,
deterministically (fixed uuid, key and clock): running it twice gives the
same bytes, and tests/test_volume_golden.py fails if the committed files
drift from what the current writer produces.

volume.img (docs/volume-format.md) is written by cvmify/volume/ the way a
run leaves a volume: created, opened by a writer (the epoch commit), filled
and committed. It holds what a reader must get right: files of 0, 1, 4095,
4096, 4097 and 20000 bytes, a sparse file, a 255-byte name, a hard link, a
symlink, an empty setgid directory, non-root ids, and a directory of 150
names (several directory blocks, an inode table of depth 1).
"""

from __future__ import annotations

import hashlib
import json
import stat
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # run as a script from anywhere

from cvmify.volume import fs as volume_fs  # noqa: E402
from cvmify.volume.fs import VolumeFS, mkfs  # noqa: E402
from cvmify.volume.store import open_volume  # noqa: E402

KEY = bytes(range(32, 64))
UUID = bytes.fromhex("c0ffee00c0ffee00c0ffee00c0ffee00")
EPOCH = 1700000000
BLOCKS = 256
LONG_NAME = "V" * 250 + ".long"  # exactly 255 bytes
SPARSE_AT = 300000


def content(name: str, size: int) -> bytes:
    """Known, position-dependent bytes: a reader that mixes up offsets fails."""
    return hashlib.shake_256(name.encode()).digest(size) if size else b""


def fill(fs: VolumeFS) -> None:
    fs.mkdir("/data", 0o750, 1000, 1000)
    for size in (0, 1, 4095, 4096, 4097, 20000):
        fs.write_file(f"/data/f{size}", content(f"f{size}", size), 0o640, 1000, 1000)
    fs.write_file("/data/sparse", bytes(SPARSE_AT) + b"!", 0o600)
    fs.write_file(f"/data/{LONG_NAME}", content(LONG_NAME, 300))
    fs.mkdir("/etc")
    fs.write_file("/etc/hostname", content("hostname", 7))
    fs.link("/data/f4096", "/etc/f4096-link")
    fs.symlink("data/f1", "/one")
    fs.mkdir("/srv", 0o2775, 0, 50)
    fs.mkdir("/many")
    for i in range(150):
        fs.write_file(f"/many/name-number-{i:03d}", b"")


def listing(fs: VolumeFS) -> list[dict]:
    out = []
    for entry in sorted(fs.walk(), key=lambda e: e.path):
        inode = entry.inode
        item = {"path": entry.path, "inode": entry.ino, "mode": inode.mode, "uid": inode.uid,
                "gid": inode.gid, "nlink": inode.nlink, "mtime": inode.mtime_sec}
        if stat.S_ISREG(inode.mode):
            data = fs.vol.read_all(fs.vol.obj(entry.ino))
            item.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
        elif stat.S_ISLNK(inode.mode):
            item.update(size=inode.size, target=entry.target)
        out.append(item)
    return out


def main(out_dir: Path = HERE) -> None:
    image = out_dir / "volume.img"
    image.unlink(missing_ok=True)
    clock = volume_fs._now
    volume_fs._now = lambda: (EPOCH, 0)
    try:
        first = mkfs(image, KEY, BLOCKS, uuid=UUID)
        with open_volume(image, KEY, first, writable=True) as vol:
            older = vol.state  # the epoch commit: same (empty) tree
            fill(VolumeFS(vol))
            state = vol.commit()
    finally:
        volume_fs._now = clock
    with open_volume(image, KEY, state) as vol:
        items = listing(VolumeFS(vol))
        header = vol.header
    (out_dir / "volume.key").write_bytes(KEY)
    golden = {
        "image": "volume.img",
        "key_file": "volume.key",
        "uuid": UUID.hex(),
        "block_count": BLOCKS,
        "generation": state.generation,
        "root": state.root.hex(),
        "older_generation": older.generation,
        "older_root": older.root.hex(),
        "used_blocks": header.used_blocks,
        "inode_count": header.inode_count,
        "listing": items,
    }
    (out_dir / "volume.json").write_text(json.dumps(golden, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
