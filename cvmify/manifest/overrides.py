"""The host overrides (fw_cfg opt/cvmify/overrides, docs/boot-config.md):
docker's run flags, each allowed only where the measured config permits.

| flag | record | permitted by (manifest key -> config.bin record) |
| --- | --- | --- |
| extra args | ARG | loader.insecure__use_cmdline_argv -> ALLOW_HOST_ARGV |
| -e, --env-file | ENV | loader.env.NAME = { passthrough = true } -> ALLOW_HOST_ENV |
| --entrypoint | ENTRYPOINT | loader.insecure__allow_entrypoint -> ALLOW_HOST_ENTRYPOINT |
| -w, --workdir | CWD | loader.insecure__allow_workdir -> ALLOW_HOST_CWD |
| -u, --user | UID + GID | loader.allowed_users -> ALLOW_HOST_USER (one per user) |
| --tmpfs | TMPFS_MOUNT | fs.insecure__allow_host_tmpfs -> ALLOW_HOST_TMPFS |
| --read-only | READ_ONLY_ROOT | always: it only takes away |
| -v, --mount | VOLUME | fs.host_volumes -> ALLOW_HOST_VOLUME (cvmify/volume/attach.py checks, the kernel too) |

compile_overrides checks permission first and refuses with a UsageError
naming the manifest key; the kernel checks the same again
(kernel/config/overrides.c) and refuses to boot on anything not allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cvmify.errors import BadBundleError, UsageError
from cvmify.manifest import records as r
from cvmify.manifest.tmpfs import TmpfsMount, encode_tmpfs_mount, mount_point

if TYPE_CHECKING:
    from cvmify.manifest.bootconfig import BootConfig

MAX_OVERRIDES_SIZE = 256 << 10


@dataclass
class HostRequest:
    """What `cvmify run` was asked for, before any permission check."""

    argv_tail: list[str] = field(default_factory=list)  # replaces argv[1..] when non-empty
    env: dict[str, str] = field(default_factory=dict)
    entrypoint: str | None = None
    workdir: str | None = None
    user: str | None = None  # "name", "uid" or "uid:gid"
    tmpfs: list[TmpfsMount] = field(default_factory=list)  # --tmpfs, parsed (cvmify/manifest/tmpfs.py)
    read_only: bool = False  # --read-only
    volumes: list[bytes] = field(default_factory=list)  # VOLUME values, checked by cvmify/volume/attach.py

    def empty(self) -> bool:
        return not (self.argv_tail or self.env or self.entrypoint or self.workdir or self.user or self.tmpfs
                    or self.read_only or self.volumes)


@dataclass
class Overrides:
    """The overrides file, decoded."""

    argv_tail: list[str]
    env: list[str]  # "KEY=VALUE"
    entrypoint: str | None = None
    cwd: str | None = None
    user: tuple[int, int, list[int]] | None = None  # uid, gid, supplementary groups
    tmpfs: list[TmpfsMount] = field(default_factory=list)
    read_only: bool = False
    volumes: list = field(default_factory=list)  # cvmify.volume.attach.VolumeRecord


def compile_overrides(req: HostRequest, policy: "BootConfig | dict") -> bytes:
    """The overrides file for what `cvmify run` was asked, checked against
    `policy` (the bundle's parsed config.bin, or a manifest) first.
    Nothing asked gives b"" (an empty fw_cfg file)."""
    cfg = _policy(policy)
    _check_permissions(req, cfg)
    if req.empty():
        return b""
    out = r.RecordWriter()
    if req.entrypoint is not None:
        out.string(r.ENTRYPOINT, _absolute(req.entrypoint, "--entrypoint"))
    for arg in req.argv_tail:
        _check_string(arg, "argument")
        out.string(r.ARG, arg)
    for name in sorted(req.env):
        _check_string(f"{name}={req.env[name]}", f"variable {name}")
        out.string(r.ENV, f"{name}={req.env[name]}")
    if req.workdir is not None:
        out.string(r.CWD, _absolute(req.workdir, "--workdir"))
    if req.user is not None:
        uid, gid, groups = resolve_host_user(req.user, cfg)
        out.u32(r.UID, uid)
        out.u32(r.GID, gid)
        for group in groups:  # the entry's own: the kernel checks all three
            out.u32(r.GROUPS, group)
    for mount in req.tmpfs:
        out.raw(r.TMPFS_MOUNT, encode_tmpfs_mount(mount))
    if req.read_only:
        out.u32(r.READ_ONLY_ROOT, 1)
    for value in req.volumes:
        out.raw(r.VOLUME, value)
    data = out.finish()
    if len(data) > MAX_OVERRIDES_SIZE:
        raise UsageError(f"overrides are {len(data)} bytes, more than {MAX_OVERRIDES_SIZE}")
    return data


def parse_overrides(data: bytes) -> Overrides:
    """The kernel's view of the overrides file (empty means none)."""
    if not data:
        return Overrides([], [])
    if len(data) > MAX_OVERRIDES_SIZE:
        raise BadBundleError(f"overrides: {len(data)} bytes, more than {MAX_OVERRIDES_SIZE}")
    values = r.decode_all(data, r.OVERRIDE_COUNTS, "overrides")
    if len(values[r.UID]) != len(values[r.GID]) or (values[r.GROUPS] and not values[r.UID]):
        raise BadBundleError("overrides: UID and GID come together, GROUPS only with them")
    return Overrides(
        argv_tail=values[r.ARG],
        env=values[r.ENV],
        entrypoint=values[r.ENTRYPOINT][0] if values[r.ENTRYPOINT] else None,
        cwd=values[r.CWD][0] if values[r.CWD] else None,
        user=(values[r.UID][0], values[r.GID][0], values[r.GROUPS]) if values[r.UID] else None,
        tmpfs=values[r.TMPFS_MOUNT],
        read_only=bool(values[r.READ_ONLY_ROOT]),
        volumes=values[r.VOLUME],
    )


def resolve_host_user(spec: str, cfg: "BootConfig") -> tuple[int, int, list[int]]:
    """-u NAME, UID or UID:GID -> the (uid, gid, groups) of an
    ALLOW_HOST_USER entry; UsageError naming loader.allowed_users otherwise.
    The entries' groups follow docker's rule (manifest/users.py), so
    entries "app" and "1000:1000" may differ in groups alone; a UID:GID
    spec then takes the one whose groups are the gid alone, as docker
    gives for an explicit group."""
    name, _, group = spec.partition(":")
    matches = [
        (uid, gid, tuple(groups)) for uid, gid, groups, user_name in cfg.host_users
        if (name == user_name or (name.isdigit() and int(name) == uid))
        and (not group or (group.isdigit() and int(group) == gid))
    ]
    if group and len(set(matches)) > 1:
        matches = [m for m in matches if m[2] == (m[1],)] or matches
    if len(set(matches)) == 1:
        uid, gid, groups = matches[0]
        return uid, gid, list(groups)
    if len(set(matches)) > 1:
        raise UsageError(f"-u {spec}: more than one allowed user matches; give uid:gid")
    raise UsageError(f"-u {spec} refused: the manifest's loader.allowed_users does not list it")


def _policy(policy: "BootConfig | dict") -> "BootConfig":
    from cvmify.manifest.bootconfig import DISK_ROOT_SIZE, BootConfig, boot_config_from_manifest

    if isinstance(policy, BootConfig):
        return policy
    return boot_config_from_manifest(policy, bytes(DISK_ROOT_SIZE))


def _check_permissions(req: HostRequest, cfg: "BootConfig") -> None:
    if req.argv_tail and not cfg.allow_host_argv:
        raise UsageError(
            f"extra arguments {req.argv_tail[0]!r}... refused: the manifest does not set "
            "loader.insecure__use_cmdline_argv = true"
        )
    for name in req.env:
        if name not in cfg.allow_host_env:
            raise UsageError(
                f"environment variable {name} refused: the manifest does not allow it "
                f"(loader.env.{name} = {{ passthrough = true }})"
            )
    if req.entrypoint is not None and not cfg.allow_host_entrypoint:
        raise UsageError(f"--entrypoint {req.entrypoint} refused: the manifest does not set "
                         "loader.insecure__allow_entrypoint = true")
    if req.workdir is not None and not cfg.allow_host_cwd:
        raise UsageError(f"--workdir {req.workdir} refused: the manifest does not set "
                         "loader.insecure__allow_workdir = true")
    if req.tmpfs and not cfg.allow_host_tmpfs:
        raise UsageError(f"--tmpfs {req.tmpfs[0].path} refused: the manifest does not set "
                         "fs.insecure__allow_host_tmpfs = true")
    if len(req.tmpfs) > r.MAX_HOST_TMPFS:
        raise UsageError(f"--tmpfs: at most {r.MAX_HOST_TMPFS} mounts")
    paths = [m.path for m in req.tmpfs]
    for path in paths:
        if not mount_point(path):
            raise UsageError(f"--tmpfs {path}: expected a normalized absolute path other than /")
        if paths.count(path) > 1:
            raise UsageError(f"--tmpfs {path}: given twice")


def _absolute(path: str, flag: str) -> str:
    if not path.startswith("/"):
        raise UsageError(f"{flag} {path}: expected an absolute path")
    _check_string(path, flag)
    return path


def _check_string(text: str, what: str) -> None:
    if "\0" in text:
        raise UsageError(f"{what} contains a NUL character")
    if len(text.encode("utf-8")) > r.MAX_LONG_STRING:
        raise UsageError(f"{what} is longer than {r.MAX_LONG_STRING} bytes")
