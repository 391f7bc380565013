"""docker's `-v` and `--mount` flags, as far as a confidential VM allows.

`-v NAME:/path[:ro]` and `--mount type=volume,source=NAME,target=/path`
attach a persistent encrypted volume; `-v /path` alone an anonymous one
(a new volume with a random name, as docker does). Host paths (bind
mounts) are refused: the host's files would reach the guest neither
encrypted nor integrity-protected, and the guest's writes would reach the
host in clear.
"""

from __future__ import annotations

import posixpath
import secrets
from dataclasses import dataclass

from cvmify.errors import UsageError, VolumeError
from cvmify.volume.registry import check_name

BIND_REFUSED = ("{flag} {spec!r}: {source!r} is a host path: bind mounts are not possible in a "
                "confidential VM (the host's files would be neither encrypted nor integrity-"
                "protected); use a named volume (-v NAME:{target})")
_TRUE = {"", "1", "true"}
_FALSE = {"0", "false"}


@dataclass(frozen=True)
class VolumeMount:
    name: str
    target: str
    read_only: bool = False
    anonymous: bool = False

    def to_json(self) -> dict:
        return {"name": self.name, "target": self.target, "read_only": self.read_only}


def check_target(flag: str, spec: str, target: str) -> str:
    if not target.startswith("/") or "\0" in target:
        raise UsageError(f"{flag} {spec!r}: the target {target!r} must be an absolute path")
    clean = posixpath.normpath(target)
    if clean.startswith("//"):
        clean = "/" + clean.lstrip("/")
    if clean == "/":
        raise UsageError(f"{flag} {spec!r}: a volume cannot replace the root directory")
    if len(clean.encode()) > 4095:
        raise UsageError(f"{flag} {spec!r}: the target is too long")
    return clean


def _is_host_path(source: str) -> bool:
    return "/" in source or source.startswith((".", "~"))


def anonymous_name() -> str:
    return secrets.token_hex(32)  # 64 hex digits, like docker's anonymous volumes


def parse_volume_flag(spec: str) -> VolumeMount:
    """-v [NAME:]/path[:ro|rw]"""
    parts = spec.split(":")
    if len(parts) == 1:
        return VolumeMount(anonymous_name(), check_target("-v", spec, parts[0]), anonymous=True)
    if len(parts) > 3:
        raise UsageError(f"-v {spec!r}: expected NAME:/path[:ro]")
    source, target = parts[0], parts[1]
    options = parts[2].split(",") if len(parts) == 3 else []
    if _is_host_path(source):
        raise VolumeError(BIND_REFUSED.format(flag="-v", spec=spec, source=source, target=target))
    read_only = False
    for option in options:
        if option in ("ro", "readonly"):
            read_only = True
        elif option in ("rw", "nocopy"):
            pass
        else:
            raise UsageError(f"-v {spec!r}: unknown option {option!r} (ro, rw, nocopy)")
    if source == "":
        raise UsageError(f"-v {spec!r}: empty volume name")
    check_name(source)
    return VolumeMount(source, check_target("-v", spec, target), read_only)


def parse_mount_flag(spec: str) -> VolumeMount:
    """--mount type=volume,source=NAME,target=/path[,readonly]"""
    fields: dict[str, str] = {}
    for item in spec.split(","):
        key, _, value = item.partition("=")
        key = key.strip().lower()
        if not key:
            raise UsageError(f"--mount {spec!r}: empty field")
        if key in fields:
            raise UsageError(f"--mount {spec!r}: {key} given twice")
        fields[key] = value
    kind = fields.pop("type", "volume")
    source = fields.pop("source", None) or fields.pop("src", None)
    target = fields.pop("target", None) or fields.pop("destination", None) or fields.pop("dst", None)
    read_only = False
    for key in ("readonly", "ro"):
        if key in fields:
            value = fields.pop(key).lower()
            if value not in _TRUE | _FALSE:
                raise UsageError(f"--mount {spec!r}: {key}={value} is not a boolean")
            read_only = read_only or value in _TRUE
    fields.pop("volume-nocopy", None)
    if kind == "bind":
        raise VolumeError(BIND_REFUSED.format(flag="--mount", spec=spec, source=source or "", target=target or "/path"))
    if kind == "tmpfs":
        raise UsageError(f"--mount {spec!r}: type=tmpfs: use --tmpfs PATH")
    if kind != "volume":
        raise UsageError(f"--mount {spec!r}: type={kind} is not supported (volume)")
    if fields:
        raise UsageError(f"--mount {spec!r}: unsupported field {sorted(fields)[0]!r}")
    if target is None:
        raise UsageError(f"--mount {spec!r}: needs target=/path")
    target = check_target("--mount", spec, target)
    if not source:
        return VolumeMount(anonymous_name(), target, read_only, anonymous=True)
    if _is_host_path(source):
        raise VolumeError(BIND_REFUSED.format(flag="--mount", spec=spec, source=source, target=target))
    check_name(source)
    return VolumeMount(source, target, read_only)


def check_mounts(mounts: list[VolumeMount]) -> None:
    """One volume per target, and each volume once per run."""
    targets, names = set(), set()
    for m in mounts:
        if m.target in targets:
            raise UsageError(f"two volumes for {m.target}")
        if m.name in names:
            raise VolumeError(f"volume {m.name} is named twice: a volume can be attached once per run")
        targets.add(m.target)
        names.add(m.name)
