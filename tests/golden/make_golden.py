#!/usr/bin/env python3
"""Write the golden disk image used by the kernel's host tests and ours.

Run from the repository root:  python tests/golden/make_golden.py
It rewrites tests/golden/small.img, small.key, small.json and chain.json,
deterministically: running it twice gives the same bytes, and
tests/test_disk_golden.py fails if the committed files drift from what
the current writer produces.

small.img is built from a hand-made RootFS (no docker needed) holding the
cases a reader must get right: files of 0, 1, 4095, 4096, 4097 and 20000
bytes (packed and block-aligned content), a symlink, a hard link, a
255-byte name, an empty directory, setgid/sticky bits and non-root ids.
"""

from __future__ import annotations

import hashlib
import json
import stat
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # run as a script from anywhere

from cvmify.disk.keys import image_key  # noqa: E402
from cvmify.disk.reader import DiskReader  # noqa: E402
from cvmify.disk.writer import write_disk  # noqa: E402
from cvmify.image.rootfs import Node, RootFS, new_dir  # noqa: E402
from cvmify.measure.chain import extend  # noqa: E402

KEY = bytes(range(32))
EPOCH = 1700000000
LONG_NAME = "L" * 250 + ".long"  # exactly 255 bytes


def content(name: str, size: int) -> bytes:
    """Known, position-dependent bytes: a reader that mixes up offsets fails."""
    return hashlib.shake_256(name.encode()).digest(size) if size else b""


def _file(staging: Path, name: str, size: int, mode: int = 0o644, uid: int = 0, gid: int = 0) -> Node:
    blob = staging / f"blob-{len(list(staging.iterdir()))}"
    blob.write_bytes(content(name, size))
    return Node(mode=stat.S_IFREG | mode, uid=uid, gid=gid, mtime=EPOCH, size=size, blob=blob)


def _dir(parent: Node, name: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> Node:
    node = new_dir(mode, uid, gid, EPOCH)
    node.parent = parent
    parent.children[name] = node
    return node


def build_sample_rootfs(staging: Path) -> RootFS:
    """The golden tree. `staging` must be an empty directory; blobs go there."""
    rootfs = RootFS(root=new_dir(0o755, 0, 0, EPOCH), staging=staging)
    root = rootfs.root
    data = _dir(root, "data", 0o750, 1000, 1000)
    for size in (0, 1, 4095, 4096, 4097, 20000):
        data.children[f"f{size}"] = _file(staging, f"f{size}", size, 0o640, 1000, 1000)
    data.children[LONG_NAME] = _file(staging, LONG_NAME, 300)
    etc = _dir(root, "etc")
    etc.children["hostname"] = _file(staging, "hostname", 7)
    usr = _dir(root, "usr")
    usr_bin = _dir(usr, "bin")
    usr_bin.children["tool"] = _file(staging, "tool", 5000, 0o4755)
    usr_bin.children["tool-link"] = data.children["f4096"]  # hard link
    root.children["bin"] = Node(mode=stat.S_IFLNK | 0o777, mtime=EPOCH, target="usr/bin")
    _dir(root, "srv", 0o2775, 0, 50)  # empty, setgid
    _dir(root, "tmp", 0o1777)
    return rootfs


def expected_listing(rootfs: RootFS) -> list[dict]:
    """What a reader must report for every path, in walk order."""
    listing = []
    for path, node in rootfs.iter_nodes():
        item = {"path": path, "mode": node.mode, "uid": node.uid, "gid": node.gid, "mtime": node.mtime}
        if node.is_file:
            data = node.blob.read_bytes() if node.blob else b""
            item.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
        elif node.is_symlink:
            item.update(size=len(node.target.encode()), target=node.target)
        listing.append(item)
    return listing


def chain_vector() -> dict:
    """A worked example of the measurement chain for kernel/measure tests."""
    kernel = hashlib.sha384(b"cvmify golden kernel image").digest()
    config = hashlib.sha384(b"cvmify golden config.bin").digest()
    disk_root = hashlib.sha384(b"cvmify golden disk root").digest()
    r1 = extend(bytes(48), kernel)
    r2 = extend(r1, config)
    r3 = extend(r2, disk_root)
    return {"kernel": kernel.hex(), "config": config.hex(), "disk_root": disk_root.hex(),
            "r1": r1.hex(), "r2": r2.hex(), "rtmr": r3.hex()}


def main(out_dir: Path = HERE) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rootfs = build_sample_rootfs(Path(tmp))
        info = write_disk(rootfs, out_dir / "small.img", KEY)
        listing = expected_listing(rootfs)
    salt = (out_dir / "small.img").read_bytes()[40:72]  # superblock.salt
    with DiskReader(out_dir / "small.img", KEY, info.root) as reader:
        report = reader.verify()
        for item in listing:  # the writer's numbering, for tests that open inodes directly
            entry = reader.lookup(item["path"])
            item.update(inode=entry.inode, nlink=entry.nlink)
    (out_dir / "small.key").write_bytes(KEY)
    golden = {
        "image": "small.img",
        "key_file": "small.key",
        "salt": salt.hex(),
        "image_key": image_key(KEY, salt).hex(),
        "root": info.root.hex(),
        "block_count": info.block_count,
        "inode_count": info.inode_count,
        "size": info.size,
        "counts": {"files": report.files, "dirs": report.dirs, "symlinks": report.symlinks,
                   "bytes": report.bytes},
        "listing": listing,
    }
    (out_dir / "small.json").write_text(json.dumps(golden, indent=2, sort_keys=True) + "\n")
    (out_dir / "chain.json").write_text(json.dumps(chain_vector(), indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
