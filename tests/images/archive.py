"""Append hand-written layers to an existing image via docker save/load.

`docker build` on the vfs storage driver computes layer diffs by comparing
directories, so it never emits an opaque-directory whiteout. To get one,
we write the layer tarballs ourselves and load them on top of a parent
image. The daemon keeps the exact layer bytes (tar-split), so whatever
reads the image later (docker save, a registry push) sees what we wrote.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

from tests.images.tarlayer import EPOCH

CREATED = "2023-11-14T22:13:20Z"


@dataclass
class Layer:
    comment: str  # goes into the image history
    data: bytes  # the uncompressed layer tarball (tests/images/tarlayer.py)

    @property
    def diff_id(self) -> str:
        return "sha256:" + hashlib.sha256(self.data).hexdigest()


def read_member(archive: tarfile.TarFile, name: str) -> bytes:
    handle = archive.extractfile(name)
    if handle is None:
        raise ValueError(f"{name}: not a regular file in the saved image")
    return handle.read()


def extend_saved_image(saved: Path, layers: list[Layer], tag: str, labels: dict[str, str],
                       out: Path) -> None:
    """Write to `out` a docker-archive: the single image in `saved` plus
    `layers` on top, tagged `tag`, with `labels` added to its config."""
    with tarfile.open(saved) as src, tarfile.open(out, "w") as dst:
        manifest = json.loads(read_member(src, "manifest.json"))
        if len(manifest) != 1:
            raise ValueError(f"{saved}: expected one image, found {len(manifest)}")
        config = json.loads(read_member(src, manifest[0]["Config"]))
        layer_paths = list(manifest[0]["Layers"])
        for path in layer_paths:
            copy_member(src, dst, path)

        for layer in layers:
            path = layer.diff_id.split(":", 1)[1] + "/layer.tar"
            add_bytes(dst, path, layer.data)
            layer_paths.append(path)
            config["rootfs"]["diff_ids"].append(layer.diff_id)
            config.setdefault("history", []).append({"created": CREATED, "created_by": layer.comment})

        config["created"] = CREATED
        image_config = config.setdefault("config", {})
        image_config["Labels"] = {**(image_config.get("Labels") or {}), **labels}
        config_bytes = json.dumps(config, sort_keys=True).encode()
        config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
        add_bytes(dst, config_name, config_bytes)
        entry = {"Config": config_name, "RepoTags": [tag], "Layers": layer_paths}
        add_bytes(dst, "manifest.json", json.dumps([entry]).encode())


def copy_member(src: tarfile.TarFile, dst: tarfile.TarFile, name: str) -> None:
    info = src.getmember(name)
    dst.addfile(info, src.extractfile(info))


def add_bytes(dst: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = EPOCH
    info.mode = 0o644
    dst.addfile(info, io.BytesIO(data))
