"""Disk writer benchmark: MB/s of write_disk and of its encryption stage alone.

Usage: python benchmarks/disk_write.py [--size-mb 256] [--small-files 5000] [--runs 3]
Builds a synthetic RootFS in a temporary directory (a few large files plus
many small ones, like a distro image), writes it with write_disk, reads it
back with DiskReader.verify, and prints MB/s of file content for each.
The blobs are read once first, so the page cache holds them, as after an
unpack. Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

from cvmify.disk.encryptor import BlockEncryptor  # noqa: E402
from cvmify.disk.reader import DiskReader  # noqa: E402
from cvmify.disk.writer import write_disk  # noqa: E402
from cvmify.image.rootfs import Node, RootFS, new_dir  # noqa: E402

KEY = bytes(32)


class NullFile:
    def write(self, data) -> int:
        return len(data)


def build_rootfs(staging: Path, size_mb: int, small_files: int) -> tuple[RootFS, int]:
    rootfs = RootFS(root=new_dir(), staging=staging)
    small_dir = new_dir()
    rootfs.root.children["small"] = small_dir
    total = 0
    chunk = os.urandom(1 << 20)
    for i in range(small_files):  # 0..8 KiB, like /usr/share and /usr/lib
        size = (i * 2654435761) % 8192
        blob = staging / f"s{i}"
        blob.write_bytes(chunk[:size])
        small_dir.children[f"f{i:06d}"] = Node(mode=stat.S_IFREG | 0o644, size=size, blob=blob)
        total += size
    big_count = 4
    per_big = max(0, (size_mb << 20) - total) // big_count
    for i in range(big_count):
        blob = staging / f"b{i}"
        with open(blob, "wb") as f:
            for _ in range(per_big >> 20):
                f.write(chunk)
            f.write(chunk[:per_big % (1 << 20)])
        rootfs.root.children[f"big{i}"] = Node(mode=stat.S_IFREG | 0o755, size=per_big, blob=blob)
        total += per_big
    return rootfs, total


def warm(staging: Path) -> None:
    for blob in staging.iterdir():
        with open(blob, "rb") as f:
            while f.read(1 << 22):
                pass


def time_encryption_only(size_mb: int) -> float:
    encryptor = BlockEncryptor(NullFile(), AESGCM(KEY), (size_mb << 20) // 4096)
    data = os.urandom(1 << 20)
    start = time.perf_counter()
    for _ in range(size_mb):
        encryptor.write(data)
    encryptor.finish()
    return (size_mb << 20) / (time.perf_counter() - start) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--small-files", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        staging = Path(tmp) / "staging"
        staging.mkdir()
        rootfs, total = build_rootfs(staging, args.size_mb, args.small_files)
        warm(staging)
        print(f"content: {total / 1e6:.1f} MB in {args.small_files + 4} files")
        print(f"encryption stage only: {time_encryption_only(args.size_mb):.0f} MB/s")
        for run in range(args.runs):
            out = Path(tmp) / "rootfs.img"
            start = time.perf_counter()
            info = write_disk(rootfs, out, KEY)
            written = time.perf_counter() - start
            start = time.perf_counter()
            with DiskReader(out, KEY, info.root) as reader:
                reader.verify()
            verified = time.perf_counter() - start
            print(f"run {run + 1}: write_disk {total / written / 1e6:.0f} MB/s ({written:.2f} s, "
                  f"incl. fsync), verify {total / verified / 1e6:.0f} MB/s")
            out.unlink()


if __name__ == "__main__":
    main()
