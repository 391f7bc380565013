"""Mount flags the guest enforces, on a real guest and compared with
`docker run` of the same image: `--tmpfs PATH` is noexec,nosuid,nodev
unless its options say otherwise (docker's default); on a noexec mount
execve of a program, of a script and of a script's or an ELF program's
interpreter fails with EACCES, mmap with PROT_EXEC with EPERM and
mprotect adding PROT_EXEC with EACCES; on a nosuid mount a set-uid
program runs with the caller's uid; `ro` refuses writes; /proc/mounts,
/proc/self/mountinfo and statvfs's f_flag show the flags as Linux does. The record
encoding is tested in tests/test_tmpfs_flag.py, the kernel's side of it
in kernel/tests/host (test_config.c, test_tmpfs_host.c)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docker_run import docker_run
from tests.guest import build_bundle, run_bundle

# Each line: "what: ok" or "what: ERRNO". Programs copied to /scratch
# (the tmpfs under test) are run from there, or serve as an interpreter
# for a script and for a copy of /bin/true whose PT_INTERP names a copy
# of the dynamic loader there; the mappings are made with libc's mmap and mprotect.
SCRIPT = r'''
import ctypes, errno, os, shutil, subprocess

def outcome(what, call):
    try:
        call()
        result = "ok"
    except OSError as e:
        result = errno.errorcode[e.errno]
    print(f"{what}: {result}")

def run(path):
    subprocess.run([path], check=True, stdout=subprocess.DEVNULL)

def mounts(name, where, field):
    for line in open(name):
        words = line.split()
        if words[where] == "/scratch":
            print(name, " ".join(words[field:]))

mounts("/proc/mounts", 1, 0)
mounts("/proc/self/mountinfo", 4, 3)
print("statvfs:", os.statvfs("/scratch").f_flag & 0xF)  # ST_RDONLY, NOSUID, NODEV, NOEXEC
try:
    open("/scratch/file", "w").close()
except OSError as e:
    print("write:", errno.errorcode[e.errno])
    raise SystemExit(0)

shutil.copy("/bin/true", "/scratch/true")
with open("/scratch/script", "w") as f:
    f.write("#!/bin/sh\nexit 0\n")
with open("/tmp/via-interp", "w") as f:
    f.write("#!/scratch/true\n")
os.chmod("/scratch/script", 0o755)
os.chmod("/tmp/via-interp", 0o755)
# The same length: the guest refuses a PT_INTERP with a NUL before its end.
loader = b"/scratch/ld-linux-x86-64.so\0"
shutil.copy(os.path.realpath("/lib64/ld-linux-x86-64.so.2"), loader[:-1].decode())
program = open("/bin/true", "rb").read()
interp = b"/lib64/ld-linux-x86-64.so.2\0"
assert program.count(interp) == 1 and len(loader) == len(interp)
with open("/tmp/true-ld", "wb") as f:
    f.write(program.replace(interp, loader))
os.chmod("/tmp/true-ld", 0o755)

outcome("execve program", lambda: run("/scratch/true"))
outcome("execve script", lambda: run("/scratch/script"))
outcome("execve script interpreter", lambda: run("/tmp/via-interp"))
outcome("execve ELF interpreter", lambda: run("/tmp/true-ld"))

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
PROT_READ, PROT_EXEC, MAP_SHARED, MAP_PRIVATE = 1, 4, 1, 2
fd = os.open("/scratch/true", os.O_RDONLY)

def mapped(prot, flags):
    address = libc.mmap(None, 4096, prot, flags, fd, 0)
    if address in (None, 2**64 - 1):
        raise OSError(ctypes.get_errno(), "mmap")
    return address

def protect(address, prot):
    if libc.mprotect(address, 4096, prot) != 0:
        raise OSError(ctypes.get_errno(), "mprotect")

outcome("mmap private read", lambda: mapped(PROT_READ, MAP_PRIVATE))
outcome("mmap private exec", lambda: mapped(PROT_READ | PROT_EXEC, MAP_PRIVATE))
outcome("mmap shared exec", lambda: mapped(PROT_READ | PROT_EXEC, MAP_SHARED))
readable = mapped(PROT_READ, MAP_PRIVATE)
outcome("mprotect add exec", lambda: protect(readable, PROT_READ | PROT_EXEC))

# A set-user-ID-root copy of id, run as nobody: euid 0 unless nosuid.
shutil.copy("/usr/bin/id", "/scratch/id")
os.chmod("/scratch/id", 0o4755)

def set_uid_run():
    out = subprocess.run(["/scratch/id", "-u"], preexec_fn=lambda: os.setuid(65534),
                         capture_output=True, text=True, check=True)
    print("set-uid program runs as", out.stdout.strip())

outcome("set-uid program", set_uid_run)
'''

NOEXEC_LINES = {
    "/proc/mounts tmpfs /scratch tmpfs rw,nosuid,nodev,noexec,relatime 0 0",
    "/proc/self/mountinfo / /scratch rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw",
    "statvfs: 14",
    "execve program: EACCES",
    "execve script: EACCES",
    "execve script interpreter: EACCES",
    "execve ELF interpreter: EACCES",
    "mmap private read: ok",
    "mmap private exec: EPERM",
    "mmap shared exec: EPERM",
    "mprotect add exec: EACCES",
    "set-uid program: EACCES",
}


@pytest.fixture(scope="module")
def bundle(python3_image, kernel, tmp_path_factory) -> Path:
    manifest = {"loader": {"argv": ["/usr/bin/python3", "-c", SCRIPT]},
                "fs": {"insecure__allow_host_tmpfs": True}}
    return build_bundle(python3_image, kernel, tmp_path_factory.mktemp("mountflags"), manifest)


def ours_and_docker(bundle: Path, image: str, *flags: str):
    ours = run_bundle(bundle, *flags)
    theirs = docker_run(image, "-c", SCRIPT, flags=flags, entrypoint="/usr/bin/python3")
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), ours.stderr
    assert ours.returncode == 0, ours.stderr
    return ours.stdout.splitlines()


@pytest.mark.parametrize("options", [":noexec", "", ":rw,noexec,nosuid"])
def test_noexec_refuses_execve_and_executable_mappings(bundle, python3_image, options):
    """docker's default (no options) is noexec too."""
    lines = ours_and_docker(bundle, python3_image, "--tmpfs", f"/scratch{options}")
    assert set(lines) == NOEXEC_LINES, lines


EXEC_LINES = [
    "execve program: ok", "execve script: ok", "execve script interpreter: ok",
    "execve ELF interpreter: ok", "mmap private read: ok", "mmap private exec: ok",
    "mmap shared exec: ok", "mprotect add exec: ok",
]


def test_exec_allows_them_and_nosuid_stays(bundle, python3_image):
    lines = ours_and_docker(bundle, python3_image, "--tmpfs", "/scratch:exec")
    assert lines[0] == "/proc/mounts tmpfs /scratch tmpfs rw,nosuid,nodev,relatime 0 0"
    assert lines[2:] == ["statvfs: 6", *EXEC_LINES, "set-uid program runs as 65534", "set-uid program: ok"]


def test_suid_lets_set_id_bits_work(bundle, python3_image):
    lines = ours_and_docker(bundle, python3_image, "--tmpfs", "/scratch:exec,suid,dev")
    assert lines[0] == "/proc/mounts tmpfs /scratch tmpfs rw,relatime 0 0"
    assert lines[2:] == ["statvfs: 0", *EXEC_LINES, "set-uid program runs as 0", "set-uid program: ok"]


def test_read_only_tmpfs(bundle, python3_image):
    """`ro` as docker takes it; mountinfo's last field (the superblock's
    options: rw under docker, whose runtime remounts the bind read-only)
    is not compared."""
    flags = ("--tmpfs", "/scratch:ro,suid,dev")
    ours = run_bundle(bundle, *flags)
    theirs = docker_run(python3_image, "-c", SCRIPT, flags=flags, entrypoint="/usr/bin/python3")
    assert ours.returncode == theirs.returncode == 0, ours.stderr
    ours_lines, their_lines = ours.stdout.splitlines(), theirs.stdout.splitlines()
    assert ours_lines[0] == their_lines[0] == "/proc/mounts tmpfs /scratch tmpfs ro,noexec,relatime 0 0"
    assert ours_lines[1].split()[:-1] == their_lines[1].split()[:-1]
    assert ours_lines[2:] == their_lines[2:] == ["statvfs: 9", "write: EROFS"]
