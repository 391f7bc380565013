"""The root disk's page cache (docs/kernel-memory.md), booted for real:
a block that failed authentication is never served from memory, not on a
second read either, while its neighbours are; and under memory pressure
the cache gives pages back and programs still read the right bytes.
"""

from __future__ import annotations

import hashlib
import re
import stat

import pytest

from tests.guest import EXIT_APP, boot_bundle, build_bundle, program
from tests.test_kernel_fs import BLOCK, disk_reader, flip_byte

pytestmark = [pytest.mark.qemu, pytest.mark.docker, pytest.mark.slow]

REREAD_SCRIPT = r"""
import errno, sys
path, good = sys.argv[1], sys.argv[2]
for attempt in range(3):
    try:
        open(path, "rb").read()
        print("attempt", attempt, "read garbage")
    except OSError as e:
        print("attempt", attempt, "errno", e.errno)
print("neighbour", len(open(good, "rb").read()))
"""


def test_a_failed_block_fails_every_time_and_spares_its_neighbours(python3_image, kernel,
                                                                   tmp_path):
    # Two files of the image: the first gets a flipped byte in its second
    # block; the second shares no block with it.
    (tmp_path / "probe").mkdir()
    with disk_reader(build_bundle(python3_image, kernel, tmp_path / "probe",
                                  program("/bin/true"))) as reader:
        files = [e for e in reader.walk()
                 if e.path.startswith("/usr/lib/python3.11/") and e.path.endswith(".py")]
        big = [e for e in files if 3 * BLOCK < reader.inode(reader.lookup(e.path).inode).size]
        victim, other = big[0].path, big[-1].path
    bundle = build_bundle(python3_image, kernel, tmp_path,
                          program("/usr/bin/python3", "-c", REREAD_SCRIPT, victim, other))
    with disk_reader(bundle) as reader:
        ino = reader.inode(reader.lookup(victim).inode)
        data_offset = reader.superblock.data_offset
    pos = ino.data_offset + BLOCK + 123
    flip_byte(bundle / "rootfs.img", data_offset + (pos // BLOCK) * BLOCK + pos % BLOCK)
    boot = boot_bundle(bundle, tmp_path)
    assert boot.returncode == EXIT_APP, boot.log
    lines = boot.stdout.splitlines()
    assert lines[:3] == [f"attempt {i} errno 5" for i in range(3)]
    assert lines[3].startswith("neighbour ") and int(lines[3].split()[1]) > 3 * BLOCK
    failed = int(re.search(r"(\d+) failed", boot.log).group(1))
    assert failed >= 3  # each attempt went back to the disk and failed again


PRESSURE_SCRIPT = r"""
import hashlib, os, stat, sys
def digest_tree():
    paths = []
    for d, _, files in os.walk("/usr/lib/python3.11"):
        paths += [os.path.join(d, name) for name in files]
    h = hashlib.sha256()
    for p in sorted(paths):
        if stat.S_ISREG(os.lstat(p).st_mode):
            h.update(open(p, "rb").read())
    return h.hexdigest()
first = digest_tree()
hog = bytearray(int(sys.argv[1]) << 20)  # the app wants memory meanwhile
for i in range(0, len(hog), 4096):
    hog[i] = 1
second = digest_tree()
print(first == second, first)
"""


def test_eviction_under_memory_pressure_keeps_reads_right(python3_image, kernel, tmp_path):
    # /usr/lib/python3.11 is about 25 MB plus python itself; with 96 MiB of
    # RAM and 64 MiB taken by the app the cache must give blocks back.
    bundle = build_bundle(python3_image, kernel, tmp_path,
                          program("/usr/bin/python3", "-c", PRESSURE_SCRIPT, "64"))
    with disk_reader(bundle) as reader:
        h = hashlib.sha256()
        paths = sorted(e.path for e in reader.walk()
                       if e.path.startswith("/usr/lib/python3.11/") and stat.S_ISREG(e.mode))
        for path in paths:
            h.update(reader.read_file(path))
    boot = boot_bundle(bundle, tmp_path, memory="96M")
    assert boot.returncode == EXIT_APP and "cvmify: exit 0" in boot.log, boot.log[-3000:]
    same, digest = boot.stdout.split()
    assert same == "True"
    assert digest == h.hexdigest()
    stats = next(line for line in boot.log.splitlines() if line.startswith("fs: page cache"))
    evictions = int(re.search(r"(\d+) evictions", stats).group(1))
    assert evictions > 2000, stats  # the cache really was squeezed


AHEAD_SCRIPT = r"""
import hashlib, os, stat
files = []
for d, _, names in os.walk("/usr/lib/python3.11"):
    for name in names:
        st = os.lstat(os.path.join(d, name))
        if stat.S_ISREG(st.st_mode):
            files.append((st.st_size, os.path.join(d, name)))
path = max(files)[1]
print(path)
for attempt in range(2):
    fd = os.open(path, os.O_RDONLY)
    h, got = hashlib.sha256(), 0
    try:
        while chunk := os.read(fd, 4096):
            h.update(chunk)
            got += len(chunk)
        print("attempt", attempt, "read all", got)
    except OSError as e:
        print("attempt", attempt, "errno", e.errno, "after", got, h.hexdigest())
    os.close(fd)
"""


def test_a_block_fetched_by_read_ahead_is_checked_like_any_other(python3_image, kernel,
                                                                 tmp_path):
    # A sequential reader of the largest file gets its blocks from
    # read-aheads (the device reads the next window while the kernel
    # decrypts the last); a flipped byte 40 blocks in must still stop the
    # read exactly at its block, on every attempt, with the bytes before
    # it right.
    bundle = build_bundle(python3_image, kernel, tmp_path,
                          program("/usr/bin/python3", "-c", AHEAD_SCRIPT))
    with disk_reader(bundle) as reader:
        files = []
        for e in reader.walk():
            if e.path.startswith("/usr/lib/python3.11/") and stat.S_ISREG(e.mode):
                files.append((reader.inode(reader.lookup(e.path).inode).size, e.path))
        size, victim = max(files)
        assert size > 48 * BLOCK, (size, victim)
        ino = reader.inode(reader.lookup(victim).inode)
        content = reader.read_file(victim)
        data_offset = reader.superblock.data_offset
    pos = ino.data_offset + 40 * BLOCK + 123  # in the image's data area
    bad_block_start = pos // BLOCK * BLOCK - ino.data_offset  # as a file offset
    flip_byte(bundle / "rootfs.img", data_offset + pos)
    boot = boot_bundle(bundle, tmp_path)
    assert boot.returncode == EXIT_APP, boot.log[-3000:]
    lines = boot.stdout.splitlines()
    assert lines[0] == victim
    for attempt, line in enumerate(lines[1:3]):
        words = line.split()
        assert words[:4] == ["attempt", str(attempt), "errno", "5"], line
        got = int(words[5])
        assert bad_block_start - BLOCK < got <= bad_block_start, (got, bad_block_start)
        assert words[6] == hashlib.sha256(content[:got]).hexdigest()
    stats = next(line for line in boot.log.splitlines() if line.startswith("fs: page cache"))
    assert int(re.search(r"(\d+) read-aheads used", stats).group(1)) > 0, stats
    assert int(re.search(r"(\d+) failed", stats).group(1)) >= 2, stats
