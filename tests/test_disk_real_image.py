"""The disk writer on a real image: debian from the docker daemon, unpacked
by cvmify.image, written, verified and read back against the RootFS model.
Thousands of files, hard links, symlinks and odd modes, as found in the wild.
"""

from __future__ import annotations

import hashlib
import stat

import pytest

from cvmify.disk.reader import DiskReader
from cvmify.disk.writer import write_disk
from cvmify.image.rootfs import open_content
from cvmify.image.source import open_image
from cvmify.image.unpack import unpack

pytestmark = [pytest.mark.docker, pytest.mark.slow]

KEY = bytes(range(7, 39))


def test_debian_image_round_trips(debian_image, tmp_path):
    with open_image(f"docker-daemon:{debian_image}", tmp_path / "image") as image:
        rootfs = unpack(image, tmp_path / "rootfs")
    info = write_disk(rootfs, tmp_path / "rootfs.img", KEY)

    model = list(rootfs.iter_nodes())
    assert len(model) > 1000  # a real distro tree, not an empty shell
    first_inode: dict[int, int] = {}
    with DiskReader(tmp_path / "rootfs.img", KEY, info.root) as reader:
        report = reader.verify()
        entries = list(reader.walk())
        assert [e.path for e in entries] == [path for path, node in model if not _special(node)]
        stored = {e.path: e for e in entries}
        for path, node in model:
            if _special(node):
                continue
            entry = stored[path]
            assert (entry.mode, entry.uid, entry.gid, entry.mtime) == \
                (node.mode, node.uid, node.gid, node.mtime), path
            # one inode per Node: hard links share it
            assert first_inode.setdefault(id(node), entry.inode) == entry.inode, path
            if node.is_file:
                data = reader.read_file(path) if entry.size else b""
                with open_content(node) as f:
                    want = f.read()
                assert hashlib.sha256(data).digest() == hashlib.sha256(want).digest(), path
            elif node.is_symlink:
                assert entry.target == node.target, path
    assert report.files == sum(1 for n in {id(n): n for _, n in model}.values() if n.is_file)
    assert report.blocks == info.block_count

    again = write_disk(rootfs, tmp_path / "again.img", KEY)
    assert again.root == info.root  # reproducible


def _special(node) -> bool:
    return not (stat.S_ISREG(node.mode) or stat.S_ISDIR(node.mode) or stat.S_ISLNK(node.mode))
