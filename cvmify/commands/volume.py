"""`cvmify volume create|ls|rm|inspect`: the user's persistent volumes.

Each function takes the volume store explicitly and returns a typed
result; cli.py renders it (text, or the JSON envelope with --json).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cvmify.errors import VolumeError
from cvmify.result import RemovedResult
from cvmify.volume.registry import KEY_WARNING, Volume, VolumeStore, parse_size


def _size_text(size: int | None) -> str:
    if size is None:
        return "?"
    for unit, scale in (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f}{unit}"
    return f"{size}B"


@dataclass
class CreateResult:
    volume: Volume
    created: bool
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "volume": self.volume.to_json()}

    def text_lines(self) -> list[str]:
        return [self.volume.name]


def create_volume(store: VolumeStore, name: str | None, size: str | None) -> CreateResult:
    from cvmify.volume.mounts import anonymous_name

    volume, created = store.create(name or anonymous_name(), parse_size(size) if size else None)
    warnings = [KEY_WARNING.format(name=volume.name, path=volume.key_path)] if created else []
    return CreateResult(volume, created, warnings)


@dataclass
class ListResult:
    volumes: list[Volume]
    quiet: bool = False
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"volumes": [v.to_json() for v in self.volumes]}

    def text_lines(self) -> list[str]:
        if self.quiet:
            return [v.name for v in self.volumes]
        rows = [("VOLUME NAME", "SIZE", "USED", "STATE")]
        rows += [(v.name, _size_text(v.record.size), _size_text(v.used_bytes),
                  "in use" if v.in_use else "") for v in self.volumes]
        width = max(len(r[0]) for r in rows)
        return [f"{r[0]:<{width}}   {r[1]:>7}   {r[2]:>7}   {r[3]}".rstrip() for r in rows]


def list_volumes(store: VolumeStore, quiet: bool = False) -> ListResult:
    return ListResult(store.all(), quiet)



def remove_volumes(store: VolumeStore, names: list[str], force: bool = False) -> RemovedResult:
    """Remove each volume; with force, a missing one is not an error (as
    docker's `volume rm -f`). A volume in use is never removed."""
    present = []
    for name in names:
        try:
            volume = store.get(name)
        except VolumeError:
            if force:
                continue
            raise
        if volume.in_use:
            raise VolumeError(f"volume {name} is in use by a running container")
        present.append(name)
    for name in present:  # all checked first: nothing is half done
        store.remove(name)
    return RemovedResult(present)


@dataclass
class InspectResult:
    volumes: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"volumes": self.volumes}

    def text_lines(self) -> list[str]:
        return json.dumps(self.volumes, indent=4, sort_keys=True).splitlines()


def inspect_volumes(store: VolumeStore, names: list[str], verify: bool = False) -> InspectResult:
    """What `ls` shows and more; with verify, every block of each volume is
    authenticated and the state compared with the recorded one (needs the
    development key; IntegrityError on any failure)."""
    out = []
    for name in names:
        volume = store.get(name)
        info = volume.to_json()
        if verify:
            info["verified"] = verify_volume(store, volume)
        out.append(info)
    return InspectResult(out)


def verify_volume(store: VolumeStore, volume: Volume) -> dict[str, Any]:
    from cvmify.volume.fs import VolumeFS
    from cvmify.volume.store import open_volume

    key = store.read_key(volume)
    state = store.current_state(volume, key)
    files = blocks = 0
    with open_volume(volume.image, key, state) as vol:
        fs = VolumeFS(vol)
        for entry in fs.walk():
            files += 1
            obj = vol.obj(entry.ino)
            for _level, _index, ptr in vol.walk(obj):
                vol.load(ptr, entry.path)
                blocks += 1
    return {"files": files, "blocks": blocks, "generation": state.generation, "root": state.root.hex()}
