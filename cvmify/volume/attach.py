"""Volumes for one run: what `cvmify run -v/--mount` hands QEMU and the guest.

For each requested volume: check its target against the bundle's measured
policy (ALLOW_HOST_VOLUME records), hold it (locked, its state checked:
registry.py), and produce the three things the launch needs: a virtio-blk
drive (in request order, after the root disk), a VOLUME override record
(docs/boot-config.md) naming the target and the state the guest must find,
and the development key (fw_cfg opt/cvmify/volume-keys, VM modes only).
When the run ends the state the guest left is recorded.
"""

from __future__ import annotations

import posixpath
import struct
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from cvmify.errors import BadBundleError, VolumeError
from cvmify.volume.mounts import VolumeMount, check_mounts
from cvmify.volume.registry import Attached, VolumeStore

MAX_VOLUMES = 16
READ_ONLY = 1
_FIXED = struct.Struct("<II16sQ48s")  # flags, reserved, uuid, generation, root
KEY_FILE = "volume-keys"
KEYS_FW_CFG = "opt/cvmify/volume-keys"
# Modes whose kernel takes development volume keys from the host (a TD
# would get them from the key broker: designed, not implemented).
KEYED_MODES = ("vm", "td-vm")


def volume_record(target: str, attached: Attached) -> bytes:
    """The value of one VOLUME override record."""
    flags = READ_ONLY if attached.read_only else 0
    return _FIXED.pack(flags, 0, attached.uuid, attached.state.generation, attached.state.root) + \
        target.encode("utf-8")


@dataclass(frozen=True)
class VolumeRecord:
    read_only: bool
    uuid: bytes
    generation: int
    root: bytes
    target: str


def decode_volume_record(value: bytes, where: str) -> VolumeRecord:
    """The kernel's checks of a VOLUME value (config/volume_record.c)."""
    if not _FIXED.size < len(value) < _FIXED.size + 4096:
        raise BadBundleError(f"{where}: wrong length {len(value)}")
    flags, reserved, uuid, generation, root = _FIXED.unpack_from(value, 0)
    if flags & ~READ_ONLY or reserved or generation == 0:
        raise BadBundleError(f"{where}: bad flags or generation")
    try:
        target = value[_FIXED.size:].decode("utf-8")
    except UnicodeDecodeError:
        raise BadBundleError(f"{where}: target is not UTF-8") from None
    if "\0" in target or posixpath.normpath(target) != target or not target.startswith("/") \
            or target.startswith("//") or target == "/":
        raise BadBundleError(f"{where}: target {target!r} is not a normalized absolute path")
    return VolumeRecord(bool(flags & READ_ONLY), uuid, generation, root, target)


@dataclass(frozen=True)
class Drive:
    path: Path
    read_only: bool


@dataclass
class VolumeLaunch:
    """What one run attaches, in device order."""

    mounts: list[VolumeMount] = field(default_factory=list)
    drives: list[Drive] = field(default_factory=list)
    records: list[bytes] = field(default_factory=list)  # VOLUME values
    keys: bytes = b""  # 32 bytes per volume

    def to_json(self) -> list[dict]:
        return [dict(m.to_json(), file=str(d.path)) for m, d in zip(self.mounts, self.drives)]


def check_request(mounts: list[VolumeMount], allowed: list[str], mode: str) -> None:
    """Refuse what the bundle or the mode does not allow, before touching anything."""
    if not mounts:
        return
    if mode not in KEYED_MODES:
        raise VolumeError(
            f"--mode {mode}: persistent volumes need their keys from the key broker in a TD, "
            "which is not implemented yet; use --mode vm or td-vm")
    if len(mounts) > MAX_VOLUMES:
        raise VolumeError(f"at most {MAX_VOLUMES} volumes per run")
    check_mounts(mounts)
    for m in mounts:
        if m.target not in allowed:
            where = ", ".join(allowed) if allowed else "nowhere"
            raise VolumeError(
                f"volume {m.name}: the bundle allows volumes at {where}, not at {m.target} "
                f"(manifest key fs.host_volumes; rebuild with it to allow {m.target})")


@contextmanager
def attach_volumes(store: VolumeStore, mounts: list[VolumeMount], allowed: list[str],
                   mode: str) -> Iterator[VolumeLaunch]:
    """Hold every requested volume for the run (created when missing)."""
    check_request(mounts, allowed, mode)
    launch = VolumeLaunch()
    with ExitStack() as stack:
        for m in mounts:
            attached = stack.enter_context(store.attach(m.name, m.read_only))
            launch.mounts.append(m)
            launch.drives.append(Drive(attached.volume.image, m.read_only))
            launch.records.append(volume_record(m.target, attached))
            launch.keys += attached.key
        yield launch
