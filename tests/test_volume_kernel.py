"""What the kernel's volume code writes, the Python reader reads: the
kernel's host test export_for_python (kernel/tests/host/test_volfs.c)
builds a volume through the VFS and commits it; cvmify/volume/ opens it
in that state, checks every block and finds every file as written."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from cvmify.volume.fs import VolumeFS
from cvmify.volume.store import StateId, open_volume
from tests.conftest import KERNEL_DIR
from tests.images import cache

GOLDEN = KERNEL_DIR.parent / "tests" / "golden"


def pattern(seed: int, size: int) -> bytes:
    """The test's pattern(): a 32-bit LCG, byte = bits 16..23."""
    x = (seed * 2654435761 + 1) & 0xFFFFFFFF
    out = bytearray(size)
    for i in range(size):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out[i] = (x >> 16) & 0xFF
    return bytes(out)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    with cache.build_lock("kernel-host-tests"):
        built = subprocess.run(["make", "-C", str(KERNEL_DIR), "host-tests-build"], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    run = subprocess.run([str(KERNEL_DIR / "build" / "host" / "test_volfs"), str(GOLDEN),
                          "volume_export_for_python"], capture_output=True, text=True,
                         env={**os.environ, "VOLFS_EXPORT": str(out)})
    assert run.returncode == 0, run.stdout + run.stderr
    meta = json.loads((out / "kernel.json").read_text())
    return out / "kernel.img", bytes.fromhex(meta["key"]), StateId(meta["generation"], bytes.fromhex(meta["root"]))


def test_python_reads_what_the_kernel_wrote(exported):
    image, key, state = exported
    with open_volume(image, key, state) as vol:  # the whole metadata walk
        fs = VolumeFS(vol)
        assert fs.listdir("/") == ["files", "link", "moved"]
        assert fs.listdir("/files") == ["f0", "f1", "f4095", "f4096", "f614400"]
        for size in (0, 1, 4095, 4096, 614400):
            assert fs.read_file(f"/files/f{size}") == pattern(size, size)
        assert fs.read_file("/moved") == pattern(4097, 4097)
        assert fs.read_file("/link") == pattern(1, 1)
        assert vol.inode(fs.lookup("/files/f614400")).depth == 2
        for entry in fs.walk():  # every data block authenticates
            for _level, _index, ptr in vol.walk(vol.obj(entry.ino)):
                vol.load(ptr, entry.path)


def test_python_writes_on_where_the_kernel_left_off(exported, tmp_path):
    image, key, state = exported
    copy = tmp_path / "copy.img"
    copy.write_bytes(image.read_bytes())
    with open_volume(copy, key, state, writable=True) as vol:
        VolumeFS(vol).write_file("/files/python", b"from python")
        newer = vol.commit()
    with open_volume(copy, key, newer) as vol:
        assert VolumeFS(vol).read_file("/files/python") == b"from python"
        assert VolumeFS(vol).read_file("/files/f4096") == pattern(4096, 4096)
