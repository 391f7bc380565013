"""The `layers` test image: every layer-application rule in one image.

On top of the busybox image:
  layer 1 adds /data with plain files, a directory tree, a hard link and
          two symlinks (relative and absolute);
  layer 2 deletes a file and a directory (whiteouts `.wh.NAME`), replaces
          /data/opaque wholesale (opaque whiteout `.wh..wh..opq`) and
          overwrites a file.
What a correct unpacker must produce is EXPECTED below; tests/test_infra.py
checks it against the docker daemon's own reading of the image.
"""

from __future__ import annotations

from tests.images.archive import Layer
from tests.images.tarlayer import TarBuilder


def add_layer() -> Layer:
    w = TarBuilder()
    w.dir("data")
    w.file("data/keep.txt", b"kept\n")
    w.file("data/gone.txt", b"deleted in layer 2\n")
    w.file("data/changed.txt", b"version 1\n")
    w.dir("data/gonedir")
    w.file("data/gonedir/inner.txt", b"deleted with its directory\n")
    w.dir("data/opaque")
    w.file("data/opaque/old.txt", b"hidden by the opaque whiteout\n")
    w.dir("data/opaque/sub")
    w.file("data/opaque/sub/old2.txt", b"hidden too\n")
    w.file("data/hard-a.txt", b"one inode, two names\n")
    w.hardlink("data/hard-b.txt", "data/hard-a.txt")
    w.symlink("data/link-rel", "keep.txt")
    w.symlink("data/link-abs", "/data/keep.txt")
    w.file("data/tool.sh", b"#!/bin/sh\necho tool\n", mode=0o755)
    return Layer("cvmify-test layers: add /data", w.finish())


def delete_layer() -> Layer:
    w = TarBuilder()
    w.dir("data")
    w.file("data/.wh.gone.txt")
    w.file("data/.wh.gonedir")
    w.file("data/changed.txt", b"version 2\n")
    w.dir("data/opaque")
    w.file("data/opaque/.wh..wh..opq")
    w.file("data/opaque/new.txt", b"replaced\n")
    return Layer("cvmify-test layers: whiteouts and an opaque directory", w.finish())


def build_layers() -> list[Layer]:
    return [add_layer(), delete_layer()]


# The final /data tree: path -> file content, "-> target" for symlinks,
# None for directories.
EXPECTED = {
    "/data/keep.txt": b"kept\n",
    "/data/changed.txt": b"version 2\n",
    "/data/opaque": None,
    "/data/opaque/new.txt": b"replaced\n",
    "/data/hard-a.txt": b"one inode, two names\n",
    "/data/hard-b.txt": b"one inode, two names\n",
    "/data/link-rel": "-> keep.txt",
    "/data/link-abs": "-> /data/keep.txt",
    "/data/tool.sh": b"#!/bin/sh\necho tool\n",
}
ABSENT = ["/data/gone.txt", "/data/gonedir", "/data/opaque/old.txt", "/data/opaque/sub"]
