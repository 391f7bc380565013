"""config.bin: the manifest compiled for the kernel (docs/boot-config.md).

compile_boot_config writes it; parse_boot_config applies the same checks
the kernel applies (fail closed on anything unexpected), so tests and
`cvmify inspect` see exactly what the guest would accept.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from cvmify.errors import BadBundleError, UsageError
from cvmify.manifest import netconfig
from cvmify.manifest import records as r

MIN_CONFIG_SIZE = 64
MAX_CONFIG_SIZE = 1 << 20
DISK_ROOT_SIZE = 48


@dataclass
class BootConfig:
    entrypoint: str
    argv: list[str]
    env: list[str]  # "KEY=VALUE", in record order
    cwd: str
    uid: int
    gid: int
    disk_root: bytes
    tmpfs: list[str] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)
    allow_host_argv: bool = False
    allow_host_env: list[str] = field(default_factory=list)
    rlimits: dict[int, tuple[int, int]] = field(default_factory=dict)  # resource -> (soft, hard)
    read_only_root: bool = False  # fs.read_only, as docker's --read-only
    # what else the host may override (cvmify/manifest/overrides.py)
    allow_host_entrypoint: bool = False
    allow_host_cwd: bool = False
    allow_host_tmpfs: bool = False
    host_users: list[tuple[int, int, list[int], str | None]] = field(default_factory=list)  # (uid, gid, groups, name)
    net: netconfig.NetConfig | None = None  # None: no NET record, the kernel's defaults
    hostname: str | None = None  # None: the kernel names the guest
    allow_host_volumes: list[str] = field(default_factory=list)  # ALLOW_HOST_VOLUME, in order


# -- compile ----------------------------------------------------------------------


def compile_boot_config(m: dict, disk_root: bytes) -> bytes:
    """The manifest (validated here again) plus the disk root hash as config.bin."""
    from cvmify.manifest.schema import validate_manifest  # not needed by `cvmify run`

    validate_manifest(m)
    if len(disk_root) != DISK_ROOT_SIZE:
        raise ValueError(f"disk root must be {DISK_ROOT_SIZE} bytes, got {len(disk_root)}")
    return encode(boot_config_from_manifest(m, disk_root))


def boot_config_from_manifest(m: dict, disk_root: bytes) -> BootConfig:
    from cvmify.manifest.schema import RLIMITS, rlimit_pair

    loader = m["loader"]
    fs = m.get("fs", {})
    env, allowed = _env_records(loader.get("env", {}))
    tmpfs = ["/tmp"] + [mt["path"] for mt in fs.get("mounts", []) if mt["path"] != "/tmp"]
    rlimits = {}
    for name in sorted(loader.get("rlimits", {}), key=RLIMITS.__getitem__):
        rlimits[RLIMITS[name]] = rlimit_pair(f"loader.rlimits.{name}", loader["rlimits"][name])
    return BootConfig(
        entrypoint=m["libos"]["entrypoint"],
        argv=list(loader["argv"]),
        env=env,
        cwd=fs.get("start_dir", "/"),
        uid=loader.get("uid", 0),
        gid=loader.get("gid", 0),
        disk_root=bytes(disk_root),
        tmpfs=tmpfs,
        groups=list(loader.get("groups", [])),
        allow_host_argv=bool(loader.get("insecure__use_cmdline_argv", False)),
        allow_host_env=allowed,
        rlimits=rlimits,
        allow_host_entrypoint=bool(loader.get("insecure__allow_entrypoint", False)),
        allow_host_cwd=bool(loader.get("insecure__allow_workdir", False)),
        allow_host_tmpfs=bool(fs.get("insecure__allow_host_tmpfs", False)),
        read_only_root=bool(fs.get("read_only", False)),
        host_users=[_host_user(u) for u in loader.get("allowed_users", [])],
        net=netconfig.from_manifest(m["net"]) if "net" in m else None,
        hostname=m.get("net", {}).get("hostname"),
        allow_host_volumes=list(fs.get("host_volumes", [])),
    )


def _host_user(entry) -> tuple[int, int, list[int], str | None]:
    if not isinstance(entry, dict):  # the build resolves names (manifest/pipeline.py)
        raise ValueError(f"loader.allowed_users entry {entry!r} was not resolved to ids")
    # a table written by hand without groups: the primary gid, as docker's uid:gid
    return entry["uid"], entry["gid"], list(entry.get("groups", [entry["gid"]])), entry.get("user")


def _env_records(env: dict) -> tuple[list[str], list[str]]:
    """Sorted by name so the same manifest always gives the same bytes."""
    values, allowed = [], []
    for name in sorted(env):
        item = env[name]
        if isinstance(item, str):
            values.append(f"{name}={item}")
            continue
        if "value" in item:
            values.append(f"{name}={item['value']}")
        if item.get("passthrough"):
            allowed.append(name)
    return values, allowed


def encode(cfg: BootConfig) -> bytes:
    out = r.RecordWriter()
    out.string(r.ENTRYPOINT, cfg.entrypoint)
    for arg in cfg.argv:
        out.string(r.ARG, arg)
    for entry in cfg.env:
        out.string(r.ENV, entry)
    out.string(r.CWD, cfg.cwd)
    out.u32(r.UID, cfg.uid)
    out.u32(r.GID, cfg.gid)
    for gid in cfg.groups:
        out.u32(r.GROUPS, gid)
    for path in cfg.tmpfs:
        out.string(r.TMPFS, path)
    out.raw(r.DISK_ROOT, cfg.disk_root)
    if cfg.allow_host_argv:
        out.u32(r.ALLOW_HOST_ARGV, 1)
    for name in cfg.allow_host_env:
        out.string(r.ALLOW_HOST_ENV, name)
    for resource, (soft, hard) in cfg.rlimits.items():
        out.raw(r.RLIMIT, struct.pack("<IIQQ", resource, 0, soft, hard))
    if cfg.read_only_root:
        out.u32(r.READ_ONLY_ROOT, 1)
    if cfg.allow_host_entrypoint:
        out.u32(r.ALLOW_HOST_ENTRYPOINT, 1)
    if cfg.allow_host_cwd:
        out.u32(r.ALLOW_HOST_CWD, 1)
    for uid, gid, groups, name in cfg.host_users:
        out.raw(r.ALLOW_HOST_USER, r.encode_host_user(uid, gid, groups, name))
    if cfg.allow_host_tmpfs:
        out.u32(r.ALLOW_HOST_TMPFS, 1)
    if cfg.net is not None:
        out.raw(r.NET, netconfig.encode(cfg.net))
    if cfg.hostname is not None:
        out.string(r.HOSTNAME, cfg.hostname)
    for path in cfg.allow_host_volumes:
        out.string(r.ALLOW_HOST_VOLUME, path)
    return out.finish()


# -- parse (the kernel's checks) --------------------------------------------------


def parse_boot_config(data: bytes) -> BootConfig:
    """Decode and check config.bin; BadBundleError on anything the kernel
    would refuse."""
    if not MIN_CONFIG_SIZE <= len(data) <= MAX_CONFIG_SIZE:
        raise BadBundleError(f"config.bin: size {len(data)} outside {MIN_CONFIG_SIZE}..{MAX_CONFIG_SIZE}")
    values = r.decode_all(data, r.CONFIG_COUNTS, "config.bin")
    return BootConfig(
        entrypoint=values[r.ENTRYPOINT][0],
        argv=values[r.ARG],
        env=values[r.ENV],
        cwd=values[r.CWD][0],
        uid=values[r.UID][0],
        gid=values[r.GID][0],
        disk_root=values[r.DISK_ROOT][0],
        tmpfs=values[r.TMPFS],
        groups=values[r.GROUPS],
        allow_host_argv=bool(values[r.ALLOW_HOST_ARGV]),
        allow_host_env=values[r.ALLOW_HOST_ENV],
        rlimits=_rlimits(values[r.RLIMIT]),
        allow_host_entrypoint=bool(values[r.ALLOW_HOST_ENTRYPOINT]),
        allow_host_cwd=bool(values[r.ALLOW_HOST_CWD]),
        allow_host_tmpfs=bool(values[r.ALLOW_HOST_TMPFS]),
        read_only_root=bool(values[r.READ_ONLY_ROOT]),
        host_users=values[r.ALLOW_HOST_USER],
        net=values[r.NET][0] if values[r.NET] else None,
        hostname=values[r.HOSTNAME][0] if values[r.HOSTNAME] else None,
        allow_host_volumes=values[r.ALLOW_HOST_VOLUME],
    )


def _rlimits(items: list[tuple[int, int, int]]) -> dict[int, tuple[int, int]]:
    out: dict[int, tuple[int, int]] = {}
    for resource, soft, hard in items:
        if resource in out:
            raise BadBundleError(f"config.bin: RLIMIT {resource} given twice")
        out[resource] = (soft, hard)
    return out
