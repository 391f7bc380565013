"""The record format shared by config.bin and the overrides file
(docs/boot-config.md): a 16-byte header, then type/flags/length records
padded to 4 bytes. Writer and checker live together so they cannot drift.

The checker is a model of the kernel's: it refuses any unknown type,
wrong count, wrong length, bad padding, non-UTF-8 or NUL-containing
string.
"""

from __future__ import annotations

import struct

from cvmify.errors import BadBundleError

MAGIC = b"CVMCFG01"
HEADER = struct.Struct("<8sII")
RECORD = struct.Struct("<HHI")

ENTRYPOINT, ARG, ENV, CWD, UID, GID, TMPFS, DISK_ROOT = 1, 2, 3, 4, 5, 6, 7, 8
ALLOW_HOST_ARGV, ALLOW_HOST_ENV, RLIMIT, GROUPS, READ_ONLY_ROOT = 9, 10, 11, 12, 13
NET, HOSTNAME = 14, 15
ALLOW_HOST_ENTRYPOINT, ALLOW_HOST_CWD, ALLOW_HOST_USER, ALLOW_HOST_TMPFS = 16, 17, 18, 19
ALLOW_HOST_VOLUME, VOLUME = 24, 25  # docs/boot-config.md; VOLUME's value: cvmify/volume/attach.py
TMPFS_MOUNT = 26  # overrides only; its value: cvmify/manifest/tmpfs.py

NAMES = {
    ENTRYPOINT: "ENTRYPOINT", ARG: "ARG", ENV: "ENV", CWD: "CWD", UID: "UID", GID: "GID",
    TMPFS: "TMPFS", DISK_ROOT: "DISK_ROOT", ALLOW_HOST_ARGV: "ALLOW_HOST_ARGV",
    ALLOW_HOST_ENV: "ALLOW_HOST_ENV", RLIMIT: "RLIMIT", GROUPS: "GROUPS", READ_ONLY_ROOT: "READ_ONLY_ROOT",
    NET: "NET", HOSTNAME: "HOSTNAME",
    ALLOW_HOST_ENTRYPOINT: "ALLOW_HOST_ENTRYPOINT", ALLOW_HOST_CWD: "ALLOW_HOST_CWD",
    ALLOW_HOST_USER: "ALLOW_HOST_USER", ALLOW_HOST_TMPFS: "ALLOW_HOST_TMPFS",
    ALLOW_HOST_VOLUME: "ALLOW_HOST_VOLUME", VOLUME: "VOLUME", TMPFS_MOUNT: "TMPFS_MOUNT",
}

# type -> (min count, max count)
CONFIG_COUNTS = {
    ENTRYPOINT: (1, 1), ARG: (1, 4096), ENV: (0, 4096), CWD: (1, 1), UID: (1, 1),
    GID: (1, 1), TMPFS: (0, 64), DISK_ROOT: (1, 1), ALLOW_HOST_ARGV: (0, 1),
    ALLOW_HOST_ENV: (0, 256), RLIMIT: (0, 16), GROUPS: (0, 64), READ_ONLY_ROOT: (0, 1),
    NET: (0, 1), HOSTNAME: (0, 1),
    ALLOW_HOST_ENTRYPOINT: (0, 1), ALLOW_HOST_CWD: (0, 1), ALLOW_HOST_USER: (0, 64), ALLOW_HOST_TMPFS: (0, 1),
    ALLOW_HOST_VOLUME: (0, 64),
}
MAX_HOST_TMPFS = 16
OVERRIDE_COUNTS = {
    ARG: (0, 4096), ENV: (0, 4096), ENTRYPOINT: (0, 1), CWD: (0, 1), UID: (0, 1), GID: (0, 1), GROUPS: (0, 64),
    TMPFS_MOUNT: (0, MAX_HOST_TMPFS), READ_ONLY_ROOT: (0, 1), VOLUME: (0, 16),
}

STRING_TYPES = {ENTRYPOINT, ARG, ENV, CWD, TMPFS, ALLOW_HOST_ENV, HOSTNAME, ALLOW_HOST_VOLUME}
PATH_TYPES = {ENTRYPOINT, CWD, TMPFS, ALLOW_HOST_VOLUME}
LONG_STRING_TYPES = {ARG, ENV}
PERMISSION_TYPES = {ALLOW_HOST_ARGV, ALLOW_HOST_ENTRYPOINT, ALLOW_HOST_CWD, ALLOW_HOST_TMPFS,
                    READ_ONLY_ROOT}  # switches: u32 1
U32_TYPES = {UID, GID, GROUPS} | PERMISSION_TYPES
USER_ID = struct.Struct("<III")  # uid, gid, number of groups
MAX_USER_NAME = 32
MAX_USER_GROUPS = 64
MAX_STRING = 4096
MAX_LONG_STRING = 131072
RLIMIT_VALUE = struct.Struct("<IIQQ")
RLIMIT_RESOURCES = 16
INVALID_ID = 0xFFFFFFFF


class RecordWriter:
    def __init__(self) -> None:
        self.body = bytearray()
        self.count = 0

    def raw(self, rec_type: int, value: bytes) -> None:
        self.body += RECORD.pack(rec_type, 0, len(value)) + value
        self.body += b"\0" * (-len(value) % 4)
        self.count += 1

    def string(self, rec_type: int, text: str) -> None:
        self.raw(rec_type, text.encode("utf-8"))

    def u32(self, rec_type: int, value: int) -> None:
        self.raw(rec_type, struct.pack("<I", value))

    def finish(self) -> bytes:
        return HEADER.pack(MAGIC, HEADER.size + len(self.body), self.count) + bytes(self.body)


def split_records(data: bytes, what: str) -> list[tuple[int, bytes]]:
    """Header and framing checks; returns (type, value) pairs."""
    if len(data) < HEADER.size:
        raise BadBundleError(f"{what}: shorter than its header")
    magic, total, count = HEADER.unpack_from(data, 0)
    if magic != MAGIC:
        raise BadBundleError(f"{what}: bad magic")
    if total != len(data):
        raise BadBundleError(f"{what}: total_size {total} but {len(data)} bytes")
    offset, out = HEADER.size, []
    for i in range(count):
        if offset + RECORD.size > total:
            raise BadBundleError(f"{what}: record {i} header past the end")
        rec_type, flags, length = RECORD.unpack_from(data, offset)
        if rec_type not in NAMES:
            raise BadBundleError(f"{what}: record {i} has unknown type {rec_type}")
        if flags != 0:
            raise BadBundleError(f"{what}: record {i} has flags {flags:#x}")
        start = offset + RECORD.size
        padded = length + (-length % 4)
        if padded > total - start:
            raise BadBundleError(f"{what}: record {i} runs past the end")
        if any(data[start + length : start + padded]):
            raise BadBundleError(f"{what}: record {i} has non-zero padding")
        out.append((rec_type, data[start : start + length]))
        offset = start + padded
    if offset != total:
        raise BadBundleError(f"{what}: {total - offset} bytes after the last record")
    return out


def check_counts(recs: list[tuple[int, bytes]], allowed: dict[int, tuple[int, int]], what: str) -> None:
    for rec_type, _ in recs:
        if rec_type not in allowed:
            raise BadBundleError(f"{what}: {NAMES[rec_type]} records are not allowed here")
    for rec_type, (low, high) in allowed.items():
        n = sum(1 for t, _ in recs if t == rec_type)
        if not low <= n <= high:
            raise BadBundleError(f"{what}: {n} {NAMES[rec_type]} records, expected {low}..{high}")


def decode_all(data: bytes, allowed: dict[int, tuple[int, int]], what: str) -> dict[int, list]:
    """Framing, counts and every value checked: type -> decoded values,
    in record order, for every type in `allowed`."""
    recs = split_records(data, what)
    check_counts(recs, allowed, what)
    values: dict[int, list] = {t: [] for t in allowed}
    for rec_type, value in recs:
        values[rec_type].append(decode_value(rec_type, value, what))
    return values


def decode_value(rec_type: int, value: bytes, what: str):
    name = NAMES[rec_type]
    if rec_type in STRING_TYPES:
        return _decode_string(rec_type, value, f"{what}: {name}")
    if rec_type in U32_TYPES:
        return _decode_u32(rec_type, value, f"{what}: {name}")
    if rec_type == NET:
        from cvmify.manifest import netconfig

        return netconfig.decode(value, f"{what}: NET")
    if rec_type == ALLOW_HOST_USER:
        return decode_host_user(value, f"{what}: {name}")
    if rec_type == DISK_ROOT:
        if len(value) != 48:
            raise BadBundleError(f"{what}: DISK_ROOT is {len(value)} bytes, expected 48")
        return bytes(value)
    if rec_type == VOLUME:
        from cvmify.volume.attach import decode_volume_record

        return decode_volume_record(value, f"{what}: VOLUME")
    if rec_type == TMPFS_MOUNT:
        from cvmify.manifest.tmpfs import decode_tmpfs_mount

        return decode_tmpfs_mount(value, f"{what}: TMPFS_MOUNT")
    return _decode_rlimit(value, f"{what}: RLIMIT")


def _decode_string(rec_type: int, value: bytes, where: str) -> str:
    limit = MAX_LONG_STRING if rec_type in LONG_STRING_TYPES else MAX_STRING
    if len(value) > limit:
        raise BadBundleError(f"{where}: longer than {limit} bytes")
    if b"\0" in value:
        raise BadBundleError(f"{where}: contains NUL")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadBundleError(f"{where}: not UTF-8") from e
    if rec_type in PATH_TYPES and not text.startswith("/"):
        raise BadBundleError(f"{where}: {text!r} is not an absolute path")
    if rec_type == ENV and text.partition("=")[0] in ("", text):
        raise BadBundleError(f"{where}: {text!r} is not KEY=VALUE")
    if rec_type == ALLOW_HOST_ENV and (not text or "=" in text):
        raise BadBundleError(f"{where}: {text!r} is not a variable name")
    if rec_type == HOSTNAME:
        from cvmify.manifest.netconfig import hostname_problem

        problem = hostname_problem(text)
        if problem:
            raise BadBundleError(f"{where}: {text!r} {problem}")
    return text


def _decode_u32(rec_type: int, value: bytes, where: str) -> int:
    if len(value) != 4:
        raise BadBundleError(f"{where}: {len(value)} bytes, expected 4")
    (number,) = struct.unpack("<I", value)
    if rec_type in PERMISSION_TYPES and number != 1:
        raise BadBundleError(f"{where}: value {number}, expected 1")
    if rec_type in (UID, GID, GROUPS) and number == INVALID_ID:
        raise BadBundleError(f"{where}: {number:#x} is not a valid id")
    return number


def encode_host_user(uid: int, gid: int, groups: list[int], name: str | None) -> bytes:
    """An ALLOW_HOST_USER value: u32 uid, u32 gid, u32 n, n u32 supplementary
    groups, then the name if any (printable ASCII without ':' or spaces, at
    most 32 bytes)."""
    return (USER_ID.pack(uid, gid, len(groups)) + struct.pack(f"<{len(groups)}I", *groups)
            + (name or "").encode("ascii"))


def valid_user_name(name: str) -> bool:
    return 0 < len(name) <= MAX_USER_NAME and all(" " < c < "\x7f" and c != ":" for c in name)


def decode_host_user(value: bytes, where: str) -> tuple[int, int, list[int], str | None]:
    if len(value) < USER_ID.size:
        raise BadBundleError(f"{where}: {len(value)} bytes, expected at least {USER_ID.size}")
    uid, gid, count = USER_ID.unpack_from(value)
    end = USER_ID.size + 4 * count
    if count > MAX_USER_GROUPS or not end <= len(value) <= end + MAX_USER_NAME:
        raise BadBundleError(f"{where}: {len(value)} bytes with {count} groups: not uid, gid, groups, name")
    groups = list(struct.unpack_from(f"<{count}I", value, USER_ID.size))
    if INVALID_ID in (uid, gid, *groups):
        raise BadBundleError(f"{where}: {INVALID_ID:#x} is not a valid id")
    raw = value[end:]
    name = raw.decode("ascii", "replace")
    if raw and not valid_user_name(name):
        raise BadBundleError(f"{where}: name {name!r} is not printable ASCII without ':'")
    return uid, gid, groups, name or None


def _decode_rlimit(value: bytes, where: str) -> tuple[int, int, int]:
    if len(value) != RLIMIT_VALUE.size:
        raise BadBundleError(f"{where}: {len(value)} bytes, expected {RLIMIT_VALUE.size}")
    resource, reserved, soft, hard = RLIMIT_VALUE.unpack(value)
    if resource >= RLIMIT_RESOURCES or reserved != 0:
        raise BadBundleError(f"{where}: bad resource {resource} or reserved field")
    if soft > hard:
        raise BadBundleError(f"{where}: soft limit above hard limit")
    return resource, soft, hard
