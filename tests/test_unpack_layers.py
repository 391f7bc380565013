"""Whiteouts, opaque directories, hard links and symlinks in the real
multi-layer test image (tests/images/layers.py), read from the daemon and
pulled from the registry: both must give exactly the expected /data."""

from __future__ import annotations

import pytest

from cvmify.image.rootfs import RootFS
from cvmify.image.source import open_image
from cvmify.image.unpack import unpack
from tests.images.layers import ABSENT, EXPECTED

pytestmark = pytest.mark.docker


def check_data_tree(fs: RootFS) -> None:
    for path, want in EXPECTED.items():
        node = fs.lookup(path, follow_final=False)
        assert node is not None, path
        if want is None:
            assert node.is_dir, path
        elif isinstance(want, str):
            assert node.is_symlink and node.target == want.removeprefix("-> "), path
        else:
            assert node.is_file and fs.read(path) == want, path
    for path in ABSENT:
        assert fs.lookup(path, follow_final=False) is None, path
    listed = {p for p, _ in fs.iter_nodes() if p.startswith("/data/")}
    assert listed == {p for p in EXPECTED if p.startswith("/data/")}
    assert fs.lookup("/data/hard-a.txt") is fs.lookup("/data/hard-b.txt")
    assert fs.read("/data/link-abs") == b"kept\n" == fs.read("/data/link-rel")
    assert fs.lookup("/data/tool.sh").mode & 0o777 == 0o755


def test_layers_from_the_daemon(layers_image, tmp_path):
    with open_image(f"docker-daemon:{layers_image}", tmp_path / "work") as image:
        assert len(image.layers) >= 3
        fs = unpack(image, tmp_path / "staging")
    check_data_tree(fs)
    # the busybox base survives underneath
    assert fs.resolve("/bin/sh") == "/bin/busybox"


def test_layers_from_the_registry(registry, layers_image, tmp_path):
    digest = registry.push(layers_image, "cvmify/layers", "t1")
    with open_image(f"docker://{registry.host}/cvmify/layers:t1", tmp_path / "work") as image:
        assert image.manifest_digest == digest
        fs = unpack(image, tmp_path / "staging")
    check_data_tree(fs)
