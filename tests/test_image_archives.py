"""`docker save` as newer dockers write it (an OCI layout plus manifest.json),
and archive selection by name. The daemon here (20.10) writes only the
legacy format, so this archive is put together by hand, as docker 25 lays
it out."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from cvmify.errors import ImageNotFoundError, UnsafeImageError
from cvmify.image.source import open_image
from cvmify.image.unpack import unpack
from tests.images.tarlayer import tar_layer
from tests.test_image_support import Layout, image_config, sha256, write_layout

CONTAINERD_NAME = "io.containerd.image.name"


def docker25_archive(tmp_path: Path) -> tuple[Path, Layout]:
    layers = [tar_layer(lambda t: t.file("etc/os-release", b"ID=cvm\n"))]
    layout = write_layout(tmp_path / "layout", layers, ref_name="latest")
    index = json.loads((layout.path / "index.json").read_text())
    index["manifests"][0]["annotations"][CONTAINERD_NAME] = "docker.io/library/app:latest"
    (layout.path / "index.json").write_text(json.dumps(index))
    (layout.path / "manifest.json").write_text(json.dumps([{
        "Config": "blobs/sha256/" + layout.config_digest.split(":")[1],
        "RepoTags": ["app:latest"],
        "Layers": ["blobs/sha256/" + d.split(":")[1] for d in layout.layer_digests],
    }]))
    archive = tmp_path / "app.tar"
    with tarfile.open(archive, "w") as tar:
        for child in sorted(layout.path.iterdir()):
            tar.add(child, arcname=child.name)
    return archive, layout


def test_docker25_save_format(tmp_path):
    archive, layout = docker25_archive(tmp_path)
    for suffix in ("", ":app", ":app:latest", ":docker.io/library/app:latest"):
        with open_image(f"docker-archive:{archive}{suffix}", tmp_path / "w") as image:
            assert image.config_digest == layout.config_digest
            assert image.manifest_digest == layout.manifest_digest
            fs = unpack(image, tmp_path / f"s{len(suffix)}")
        assert fs.read("/etc/os-release") == b"ID=cvm\n"
    with pytest.raises(ImageNotFoundError, match="no image named 'other:latest'"):
        open_image(f"docker-archive:{archive}:other", tmp_path / "w")


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def test_archive_member_paths_cannot_escape(tmp_path):
    """A legacy manifest.json naming a '../' layer path is refused."""
    config = json.dumps(image_config([sha256(b"layer")])).encode()
    config_name = sha256(config).split(":")[1] + ".json"
    manifest = [{"Config": config_name, "RepoTags": ["x:latest"], "Layers": ["../../etc/passwd"]}]
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        add_bytes(tar, "manifest.json", json.dumps(manifest).encode())
        add_bytes(tar, config_name, config)
    with pytest.raises(UnsafeImageError, match="path '../../etc/passwd' escapes the archive"):
        open_image(f"docker-archive:{archive}", tmp_path / "w")
