"""`--tmpfs PATH[:OPTIONS]` as docker takes it, and the TMPFS_MOUNT
override record that carries it to the kernel (docs/boot-config.md).

Options are Linux tmpfs mount options, as docker passes them on:

| option | effect in the guest |
| --- | --- |
| `size=N[k|m|g]` | writes past N bytes (rounded up to 4 KiB pages) fail with ENOSPC; 0 or absent: half of the guest's memory, Linux's default |
| `mode=OCTAL` | the mount's root directory mode (default 1777, docker's) |
| `uid=N`, `gid=N` | its owner (default root) |
| `ro`, `rw` | read-only (writes fail with EROFS) or writable (the default) |
| `noexec`, `exec` | execve of a file there fails with EACCES, mmap with PROT_EXEC with EPERM |
| `nosuid`, `suid` | execve ignores set-user-ID and set-group-ID bits there |
| `nodev`, `dev` | recorded (shown in /proc/mounts): the guest's tmpfs holds no device nodes |

Like docker, a mount starts as `noexec,nosuid,nodev` and the options
given change that (`exec` takes noexec away). Anything else
(`nr_inodes=`, a size in %) is refused with a usage error naming it,
rather than silently ignored.
"""

from __future__ import annotations

import posixpath
import struct
from dataclasses import dataclass

from cvmify.errors import BadBundleError, UsageError

DEFAULT_MODE = 0o1777  # docker's
FIXED = struct.Struct("<QIIII")  # size, mode, uid, gid, flags
MAX_PATH = 4095
INVALID_ID = 0xFFFFFFFF
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}

# The flags field: bit values shared with kernel/config/tmpfs_record.h.
RDONLY, NOSUID, NODEV, NOEXEC = 0x1, 0x2, 0x4, 0x8
ALL_FLAGS = RDONLY | NOSUID | NODEV | NOEXEC
DOCKER_FLAGS = NOSUID | NODEV | NOEXEC  # what docker's --tmpfs starts from
# option -> (flag, set it?)
_FLAG_OPTIONS = {
    "ro": (RDONLY, True), "rw": (RDONLY, False),
    "noexec": (NOEXEC, True), "exec": (NOEXEC, False),
    "nosuid": (NOSUID, True), "suid": (NOSUID, False),
    "nodev": (NODEV, True), "dev": (NODEV, False),
}


@dataclass(frozen=True)
class TmpfsMount:
    path: str  # absolute, normalized, not /
    size: int = 0  # bytes; 0: the guest's default
    mode: int = DEFAULT_MODE
    uid: int = 0
    gid: int = 0
    flags: int = DOCKER_FLAGS  # RDONLY | NOSUID | NODEV | NOEXEC


def mount_point(path: str) -> bool:
    """Absolute and normalized (no empty, "." or ".." component, no
    trailing "/", no name over 255 bytes), not "/", no NUL: what the
    kernel accepts."""
    return (path.startswith("/") and not path.startswith("//") and posixpath.normpath(path) == path
            and path != "/" and "\0" not in path and all(len(c.encode()) <= 255 for c in path.split("/")))


def parse_tmpfs_spec(spec: str) -> TmpfsMount:
    """docker's `--tmpfs PATH[:OPTIONS]` (OPTIONS comma-separated)."""
    path, _, options = spec.partition(":")
    if not mount_point(path):
        raise UsageError(f"--tmpfs {path}: expected a normalized absolute path other than /")
    if len(path.encode("utf-8")) > MAX_PATH:
        raise UsageError(f"--tmpfs: the path is longer than {MAX_PATH} bytes")
    values = {"size": 0, "mode": DEFAULT_MODE, "uid": 0, "gid": 0}
    flags = DOCKER_FLAGS
    for option in filter(None, options.split(",")):
        name, eq, value = option.partition("=")
        if option in _FLAG_OPTIONS:
            flag, on = _FLAG_OPTIONS[option]
            flags = flags | flag if on else flags & ~flag
            continue
        if not eq or name not in values:
            raise UsageError(f"--tmpfs {spec}: option {option!r} is not supported "
                             "(size=, mode=, uid=, gid=, ro, rw, [no]exec, [no]suid, [no]dev)")
        values[name] = _option_value(spec, name, value)
    return TmpfsMount(path, flags=flags, **values)


def _option_value(spec: str, name: str, value: str) -> int:
    try:
        if name == "size":
            unit = value[-1:].lower() if value[-1:].isalpha() else ""
            if unit not in _UNITS:
                raise ValueError
            number = int(value[:len(value) - len(unit)], 10) * _UNITS[unit]
            limit = 1 << 62
        elif name == "mode":
            number, limit = int(value, 8), 0o7777
        else:
            number, limit = int(value, 10), INVALID_ID - 1
    except ValueError:
        raise UsageError(f"--tmpfs {spec}: {name}={value} is not a valid value") from None
    if not 0 <= number <= limit:
        raise UsageError(f"--tmpfs {spec}: {name}={value} is out of range")
    return number


def encode_tmpfs_mount(mount: TmpfsMount) -> bytes:
    """The TMPFS_MOUNT value: u64 size, u32 mode, u32 uid, u32 gid, u32
    flags, then the path (no NUL)."""
    return FIXED.pack(mount.size, mount.mode, mount.uid, mount.gid, mount.flags) + mount.path.encode("utf-8")


def decode_tmpfs_mount(value: bytes, where: str) -> TmpfsMount:
    """The kernel's checks (kernel/config/tmpfs_record.c)."""
    if not FIXED.size < len(value) <= FIXED.size + MAX_PATH:
        raise BadBundleError(f"{where}: {len(value)} bytes, expected {FIXED.size + 1}..{FIXED.size + MAX_PATH}")
    size, mode, uid, gid, flags = FIXED.unpack_from(value)
    if mode > 0o7777 or flags & ~ALL_FLAGS or INVALID_ID in (uid, gid):
        raise BadBundleError(f"{where}: bad mode, owner or flags field")
    try:
        path = value[FIXED.size:].decode("utf-8")
    except UnicodeDecodeError:
        raise BadBundleError(f"{where}: the path is not UTF-8") from None
    if not mount_point(path):
        raise BadBundleError(f"{where}: {path!r} is not a normalized absolute path other than /")
    return TmpfsMount(path, size, mode, uid, gid, flags)
