"""config.bin: the manifest compiled for the kernel (docs/boot-config.md).

compile_boot_config writes it; parse_boot_config applies the same checks
the kernel applies (fail closed on anything unexpected), so tests and
`cvmify inspect` see exactly what the guest would accept.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from cvmify.errors import BadBundleError, UsageError
from cvmify.manifest import records as r
from cvmify.manifest.schema import RLIMITS, rlimit_pair, validate_manifest

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
    allow_host_volumes: list[str] = field(default_factory=list)  # ALLOW_HOST_VOLUME, in order


# -- compile ----------------------------------------------------------------------


def compile_boot_config(m: dict, disk_root: bytes) -> bytes:
    """The manifest (validated here again) plus the disk root hash as config.bin."""
    validate_manifest(m)
    if len(disk_root) != DISK_ROOT_SIZE:
        raise ValueError(f"disk root must be {DISK_ROOT_SIZE} bytes, got {len(disk_root)}")
    return encode(boot_config_from_manifest(m, disk_root))


def boot_config_from_manifest(m: dict, disk_root: bytes) -> BootConfig:
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
        allow_host_volumes=list(fs.get("host_volumes", [])),
    )


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
    for path in cfg.allow_host_volumes:
        out.string(r.ALLOW_HOST_VOLUME, path)
    return out.finish()


# -- parse (the kernel's checks) --------------------------------------------------


def parse_boot_config(data: bytes) -> BootConfig:
    """Decode and check config.bin; BadBundleError on anything the kernel
    would refuse."""
    if not MIN_CONFIG_SIZE <= len(data) <= MAX_CONFIG_SIZE:
        raise BadBundleError(f"config.bin: size {len(data)} outside {MIN_CONFIG_SIZE}..{MAX_CONFIG_SIZE}")
    recs = r.split_records(data, "config.bin")
    r.check_counts(recs, r.CONFIG_COUNTS, "config.bin")
    values: dict[int, list] = {t: [] for t in r.CONFIG_COUNTS}
    for rec_type, value in recs:
        values[rec_type].append(r.decode_value(rec_type, value, "config.bin"))
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
        allow_host_volumes=values[r.ALLOW_HOST_VOLUME],
    )


def _rlimits(items: list[tuple[int, int, int]]) -> dict[int, tuple[int, int]]:
    out: dict[int, tuple[int, int]] = {}
    for resource, soft, hard in items:
        if resource in out:
            raise BadBundleError(f"config.bin: RLIMIT {resource} given twice")
        out[resource] = (soft, hard)
    return out


# -- host overrides (opt/cvmify/overrides) -------------------------------------------

MAX_OVERRIDES_SIZE = 256 << 10


@dataclass
class Overrides:
    argv_tail: list[str]  # replaces argv[1..] when non-empty
    env: list[str]  # "KEY=VALUE"
    volumes: list = field(default_factory=list)  # cvmify.volume.attach.VolumeRecord


def compile_overrides(argv_tail: list[str], env: dict[str, str], policy: "BootConfig | dict",
                      volumes: list[bytes] = ()) -> bytes:
    """The overrides file for `cvmify run ARGS... -e K=V`. Permission is
    checked first against `policy` (the bundle's parsed config.bin, or the
    manifest), and a refused argument or variable raises UsageError naming
    it. No arguments and no variables give b"" (an empty fw_cfg file)."""
    allow_argv, allowed_env = _permissions(policy)
    if argv_tail and not allow_argv:
        raise UsageError(
            f"extra arguments {argv_tail[0]!r}... refused: the manifest does not set "
            "loader.insecure__use_cmdline_argv = true"
        )
    for name in env:
        if name not in allowed_env:
            raise UsageError(
                f"environment variable {name} refused: the manifest does not allow it "
                f"(loader.env.{name} = {{ passthrough = true }})"
            )
    if not argv_tail and not env and not volumes:
        return b""
    out = r.RecordWriter()
    for arg in argv_tail:
        _check_override_string(arg, "argument")
        out.string(r.ARG, arg)
    for name in sorted(env):
        _check_override_string(f"{name}={env[name]}", f"variable {name}")
        out.string(r.ENV, f"{name}={env[name]}")
    for value in volumes:  # VOLUME records, already checked (cvmify/volume/attach.py)
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
    recs = r.split_records(data, "overrides")
    r.check_counts(recs, r.OVERRIDE_COUNTS, "overrides")
    argv = [r.decode_value(t, v, "overrides") for t, v in recs if t == r.ARG]
    env = [r.decode_value(t, v, "overrides") for t, v in recs if t == r.ENV]
    volumes = [r.decode_value(t, v, "overrides") for t, v in recs if t == r.VOLUME]
    return Overrides(argv, env, volumes)


def _permissions(policy: "BootConfig | dict") -> tuple[bool, set[str]]:
    if isinstance(policy, BootConfig):
        return policy.allow_host_argv, set(policy.allow_host_env)
    loader = policy.get("loader", {})
    _, allowed = _env_records(loader.get("env", {}))
    return bool(loader.get("insecure__use_cmdline_argv", False)), set(allowed)


def _check_override_string(text: str, what: str) -> None:
    if "\0" in text:
        raise UsageError(f"{what} contains a NUL character")
    if len(text.encode("utf-8")) > r.MAX_LONG_STRING:
        raise UsageError(f"{what} is longer than {r.MAX_LONG_STRING} bytes")
