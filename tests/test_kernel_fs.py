"""The guest's file systems and drivers, booted for real (QEMU/TCG).

Static busybox applets run one per boot (the kernel has one task, no
fork): they read the encrypted root through virtio-blk + cvmfs, list the
pseudo file systems, read /dev/attestation, and use the console tty
(with -t). The
integrity tests tamper with a built bundle's rootfs.img and boot QEMU
directly (docs/boot-config.md machine), so no host-side check can hide
what the guest does: a flipped data byte must make exactly that read
fail with EIO, a flipped tag must make the kernel refuse the disk.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from cvmify.disk.reader import DiskReader
from tests.guest import (
    EXIT_APP,
    EXIT_PANIC,
    boot_bundle,
    build_and_run,
    build_bundle,
    program,
    run_bundle,
)

pytestmark = [pytest.mark.qemu, pytest.mark.docker, pytest.mark.slow]

BLOCK = 4096


def flip_byte(path: Path, offset: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x20]))


def disk_reader(bundle: Path) -> DiskReader:
    root = bytes.fromhex(json.loads((bundle / "bundle.json").read_text())["disk"]["root"])
    return DiskReader(bundle / "rootfs.img", (bundle / "disk-key.dev").read_bytes(), root)


# -- reading the encrypted root -----------------------------------------------


def test_file_content_read_through_cvmfs(busybox_image, kernel, tmp_path):
    bundle = build_bundle(busybox_image, kernel, tmp_path,
                          program("/bin/sha256sum", "/bin/busybox"))
    with disk_reader(bundle) as reader:
        expected = hashlib.sha256(reader.read_file("/bin/busybox")).hexdigest()
    result = run_bundle(bundle)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected, "/bin/busybox"]


def test_flipped_data_byte_fails_that_read_with_eio(python3_image, kernel, tmp_path):
    # Python's this.py is never imported at startup: only the open()
    # below reads it, so the flipped byte hits exactly that read.
    script = ("import glob, sys\n"
              "path = glob.glob('/usr/lib/python3*/this.py')[0]\n"
              "try:\n"
              "    open(path, 'rb').read()\n"
              "except OSError as e:\n"
              "    print('errno', e.errno); sys.exit(3)\n"
              "print('read garbage')\n")
    bundle = build_bundle(python3_image, kernel, tmp_path,
                          program("/usr/bin/python3", "-c", script))
    with disk_reader(bundle) as reader:
        path = next(e.path for e in reader.walk()
                    if e.path.startswith("/usr/lib/python3") and e.path.endswith("/this.py"))
        ino = reader.inode(reader.lookup(path).inode)
        data_offset = reader.superblock.data_offset
    assert ino.size > 200
    block = (ino.data_offset + 100) // BLOCK
    flip_byte(bundle / "rootfs.img", data_offset + block * BLOCK + (ino.data_offset + 100) % BLOCK)

    boot = boot_bundle(bundle, tmp_path)
    assert boot.returncode == EXIT_APP, boot.log
    assert boot.stdout.split() == ["errno", "5"]  # EIO
    assert "cvmify: exit 3" in boot.log


SIGBUS_STATUS = 128 + 7


def flip_file_byte(bundle: Path, path: str, offset: int) -> None:
    """Flip the byte at `offset` of the image file `path` in rootfs.img."""
    with disk_reader(bundle) as reader:
        ino = reader.inode(reader.lookup(path).inode)
        data_offset = reader.superblock.data_offset
    assert ino.size > offset
    pos = ino.data_offset + offset
    flip_byte(bundle / "rootfs.img", data_offset + (pos // BLOCK) * BLOCK + pos % BLOCK)


def test_flipped_byte_in_a_mapped_file_is_sigbus(python3_image, kernel, tmp_path):
    # Like Linux: a page of a file mapping whose read fails with EIO is
    # SIGBUS, not SIGSEGV. this.py is never read at startup and mmap
    # itself reads nothing, so the first touch faults the bad block in;
    # the default action ends the run with 128 + 7.
    script = ("import glob, mmap\n"
              "path = glob.glob('/usr/lib/python3*/this.py')[0]\n"
              "f = open(path, 'rb')\n"
              "m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)\n"
              "print('mapped', flush=True)\n"
              "m[100]\n"
              "print('read garbage', flush=True)\n")
    bundle = build_bundle(python3_image, kernel, tmp_path,
                          program("/usr/bin/python3", "-c", script))
    with disk_reader(bundle) as reader:
        path = next(e.path for e in reader.walk()
                    if e.path.startswith("/usr/lib/python3") and e.path.endswith("/this.py"))
    flip_file_byte(bundle, path, 100)
    result = run_bundle(bundle)
    assert result.returncode == SIGBUS_STATUS, result.stdout + result.stderr
    assert result.stdout.split() == ["mapped"]


@pytest.mark.parametrize("handled", [False, True], ids=["default-action", "handler"])
def test_sigbus_from_a_mapped_file_carries_bus_adrerr(guest_image, kernel, tmp_path, handled):
    # kernel/tests/guest/sigbus.c maps /mm (another guest program, never
    # run) and reads one byte of the tampered block: with a SA_SIGINFO
    # handler it reports signal 7, code BUS_ADRERR (2) and the address it
    # touched; without one, the run ends with 128 + 7.
    argv = ["/mm", "5000"] + (["report"] if handled else [])
    bundle = build_bundle(guest_image, kernel, tmp_path, program("/sigbus", *argv))
    flip_file_byte(bundle, "/mm", 5000)
    result = run_bundle(bundle)
    if handled:
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.splitlines() == ["mapped", "signal 7 code 2 addr-matches 1"]
    else:
        assert result.returncode == SIGBUS_STATUS, result.stdout + result.stderr
        assert result.stdout.splitlines() == ["mapped"]


def test_sigbus_program_reads_an_intact_file(guest_image, kernel, tmp_path):
    """Without the tampering the same read works (so the SIGBUS above
    comes from the bad block, not from the program or the mapping)."""
    bundle = build_bundle(guest_image, kernel, tmp_path,
                          program("/sigbus", "/mm", "5000", "report"))
    result = run_bundle(bundle)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "mapped"
    assert result.stdout.splitlines()[1].startswith("byte ")


def test_flipped_tag_refuses_the_disk(busybox_image, kernel, tmp_path):
    bundle = build_bundle(busybox_image, kernel, tmp_path, program("/bin/true"))
    flip_byte(bundle / "rootfs.img", BLOCK + 5)  # inside the tag table
    boot = boot_bundle(bundle, tmp_path)
    assert boot.returncode == EXIT_PANIC, boot.log
    assert "disk root does not match" in boot.log
    assert "cvmify: panic" in boot.log
    assert "cvmify: exit" not in boot.log


def test_untouched_bundle_boots_directly(busybox_image, kernel, tmp_path):
    """The direct boot used above works on an untouched bundle (so the
    failures above come from the tampering, not from the harness)."""
    bundle = build_bundle(busybox_image, kernel, tmp_path, program("/bin/true"))
    boot = boot_bundle(bundle, tmp_path)
    assert boot.returncode == EXIT_APP, boot.log
    assert "cvmify: exit 0" in boot.log


# -- pseudo file systems --------------------------------------------------------


def test_root_lists_pseudo_mounts_and_devices(busybox_image, kernel, tmp_path):
    result = build_and_run(busybox_image, kernel, tmp_path,
                           program("/bin/ls", "-1", "/", "/dev"))
    assert result.returncode == 0, result.stderr
    root, dev = result.stdout.split("\n\n")
    assert {"bin", "dev", "proc", "tmp"} <= set(root.splitlines()[1:])
    assert {"null", "zero", "urandom", "random", "console", "tty", "attestation",
            "stdin", "stdout", "stderr"} <= set(dev.splitlines()[1:])


def test_attestation_measurements_match_bundle(busybox_image, kernel, tmp_path):
    names = ["kernel", "config", "disk_root", "rtmr"]
    files = [f"/dev/attestation/measurements/{n}" for n in names]
    result = build_and_run(busybox_image, kernel, tmp_path,
                           program("/bin/cat", "/dev/attestation/attestation_type", *files))
    assert result.returncode == 0, result.stderr
    expected = json.loads((tmp_path / "bundle" / "measurements.json").read_text())
    assert result.stdout.splitlines() == ["none"] + [expected[n] for n in names]


def test_attestation_report_layout(busybox_image, kernel, tmp_path):
    result = build_and_run(busybox_image, kernel, tmp_path,
                           program("/bin/od", "-An", "-v", "-tx1", "/dev/attestation/report"))
    assert result.returncode == 0, result.stderr
    report = bytes.fromhex("".join(result.stdout.split()))
    expected = json.loads((tmp_path / "bundle" / "measurements.json").read_text())
    assert len(report) == 272
    assert report[:8] == b"CVMREP01"
    assert report[8:16] == bytes([1, 0, 0, 0, 0, 0, 0, 0])
    assert report[16:64].hex() == expected["kernel"]
    assert report[64:112].hex() == expected["config"]
    assert report[112:160].hex() == expected["disk_root"]
    assert report[160:208].hex() == expected["rtmr"]
    assert report[208:] == bytes(64)  # nothing written to user_report_data


def test_proc_self(busybox_image, kernel, tmp_path):
    result = build_and_run(busybox_image, kernel, tmp_path,
                           program("/bin/ls", "-l", "/proc/self/exe", "/proc/self/fd/0", "/dev/stdout"))
    assert result.returncode == 0, result.stderr
    links = dict(line.split()[-3::2] for line in result.stdout.splitlines())
    assert links["/proc/self/fd/0"] == "/dev/null"  # no -i: as under docker run
    assert links["/dev/stdout"] == "/proc/self/fd/1"
    # The exe path is the program's resolved absolute path, like Linux:
    # /bin/ls is a symlink to /bin/busybox.
    assert links["/proc/self/exe"] == "/bin/busybox"


def test_console_is_a_tty_only_with_t(busybox_image, kernel, tmp_path):
    # tty(1) calls isatty (TCGETS) and ttyname (/proc/self/fd/0).
    bundle = build_bundle(busybox_image, kernel, tmp_path, program("/bin/tty"))
    result = run_bundle(bundle, "-t")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "/dev/console"
    result = run_bundle(bundle)
    assert (result.returncode, result.stdout) == (1, "not a tty\n")


def test_urandom_gives_bytes(busybox_image, kernel, tmp_path):
    result = build_and_run(busybox_image, kernel, tmp_path,
                           program("/bin/od", "-An", "-v", "-tx1", "-N", "64", "/dev/urandom"))
    assert result.returncode == 0, result.stderr
    data = bytes.fromhex("".join(result.stdout.split()))
    assert len(data) == 64
    assert len(set(data)) > 16  # not a constant or a short cycle


# -- many file operations in one process (Debian's python3) ---------------------

PYTHON_FS_SCRIPT = r"""
import errno, mmap, os, sys

def expect_errno(code, fn, *args):
    try:
        fn(*args)
    except OSError as e:
        assert e.errno == code, (fn.__name__, args, e)
        return
    raise AssertionError(f"{fn.__name__}{args} did not fail")

# tmpfs: create, write, sparse growth, rename, unlink, directories
os.chdir("/tmp")
with open("a.txt", "w") as f:
    f.write("hello tmpfs\n")
os.mkdir("d")
os.rename("a.txt", "d/b.txt")
assert os.listdir("d") == ["b.txt"]
assert open("/tmp/d/b.txt").read() == "hello tmpfs\n"
with open("d/b.txt", "r+b") as f:
    f.seek(1 << 20)
    f.write(b"end")
assert os.stat("d/b.txt").st_size == (1 << 20) + 3
with open("d/b.txt", "rb") as f:
    f.seek(4096)
    assert f.read(8) == bytes(8)
    with mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as m:
        assert m[:5] == b"hello" and m[(1 << 20):] == b"end"
os.truncate("d/b.txt", 5)
assert open("d/b.txt").read() == "hello"
os.symlink("d/b.txt", "link")
assert os.readlink("link") == "d/b.txt" and open("link").read() == "hello"
expect_errno(errno.ENOTEMPTY, os.rmdir, "d")
os.unlink("d/b.txt")
os.unlink("link")
os.rmdir("d")
assert os.getcwd() == "/tmp"
assert sorted(os.listdir("/tmp")) == []

# the root is writable, like docker's container layer
os.mkdir("/usr/x")
with open("/etc/hostname-new", "w") as f:
    f.write("new\n")
assert open("/etc/hostname-new").read() == "new\n"
os.unlink("/etc/hostname-new")
os.rmdir("/usr/x")
expect_errno(errno.ENOENT, os.stat, "/usr/x")
expect_errno(errno.ENOENT, os.stat, "/no/such")
os.symlink("l2", "/tmp/l1")
os.symlink("l1", "/tmp/l2")
expect_errno(errno.ELOOP, os.stat, "/tmp/l1")

# a file of the image, mapped
path = "/usr/lib/os-release" if os.path.exists("/usr/lib/os-release") else "/etc/os-release"
with open(path, "rb") as f:
    data = f.read()
    with mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as m:
        assert m[:] == data

# attestation: user data goes into the report
with open("/dev/attestation/user_report_data", "wb") as f:
    f.write(b"nonce-1234")
report = open("/dev/attestation/report", "rb").read()
assert report[:8] == b"CVMREP01" and len(report) == 272
assert report[208:] == b"nonce-1234" + bytes(54)
print(report[160:208].hex())

# devices
assert open("/dev/zero", "rb").read(16) == bytes(16)
assert open("/dev/null", "rb").read() == b""
assert len(os.urandom(100)) == 100 and len(open("/dev/urandom", "rb").read(33)) == 33
assert not os.isatty(0) and not os.isatty(1)  # no -t: as under docker run
print("fs ok")
"""


def test_python_file_operations(python3_image, kernel, tmp_path):
    result = build_and_run(python3_image, kernel, tmp_path,
                           program("/usr/bin/python3", "-c", PYTHON_FS_SCRIPT))
    assert result.returncode == 0, result.stderr
    expected = json.loads((tmp_path / "bundle" / "measurements.json").read_text())
    assert result.stdout.splitlines() == [expected["rtmr"], "fs ok"]
