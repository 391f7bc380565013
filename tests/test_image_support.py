"""Helpers for the image tests: OCI layouts and a private registry.
(Hand-made layer tarballs: `tar_layer` in tests/images/tarlayer.py.)

- `write_layout(...)`: an OCI image layout from a config and layer tarballs;
- `layout_from_docker_save(...)`: the same image as an OCI layout, from a
  `docker save` file (gzip layers, so the gzip path is exercised too);
- `local_registry`: a private tests/registry.py LocalRegistry on a free
  loopback port, with `push_layout(...)` speaking the OCI distribution API.

No tests here; the test modules import what they need.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import running_registry
from tests.registry import LocalRegistry

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- OCI layouts -----------------------------------------------------------------


def image_config(diff_ids: list[str], os_name: str = "linux", arch: str = "amd64") -> dict:
    return {
        "architecture": arch,
        "os": os_name,
        "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }


@dataclass
class Layout:
    path: Path
    manifest_digest: str
    config_digest: str
    layer_digests: list[str]
    manifest_media_type: str = OCI_MANIFEST

    def blob(self, digest: str) -> Path:
        return self.path / "blobs" / "sha256" / digest.split(":", 1)[1]


def _put_blob(root: Path, data: bytes) -> str:
    digest = sha256(data)
    path = root / "blobs" / "sha256" / digest.split(":", 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


def write_layout(root: Path, layers: list[bytes], compress: bool | Callable[[bytes], bytes] = False,
                 arch: str = "amd64",
                 ref_name: str | None = "latest", layer_type: str | None = None,
                 config: dict | bytes | None = None) -> Layout:
    """An OCI layout holding one image made of the uncompressed `layers`;
    `compress` is True for gzip or a function compressing a blob."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    config = config or image_config([sha256(layer) for layer in layers], arch=arch)
    config_bytes = config if isinstance(config, bytes) else json.dumps(config).encode()
    config_digest = _put_blob(root, config_bytes)
    descriptors = []
    for layer in layers:
        if callable(compress):
            stored = compress(layer)
        else:
            stored = gzip.compress(layer, mtime=0) if compress else layer
        media_type = layer_type or (LAYER_GZIP if compress else LAYER_TAR)
        descriptors.append({"mediaType": media_type, "digest": _put_blob(root, stored),
                            "size": len(stored)})
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config_bytes)},
        "layers": descriptors,
    }).encode()
    manifest_digest = _put_blob(root, manifest)
    entry = {"mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": len(manifest)}
    if ref_name:
        entry["annotations"] = {REF_NAME: ref_name}
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    return Layout(root, manifest_digest, config_digest, [d["digest"] for d in descriptors])


def layout_from_docker_save(saved: Path, root: Path, ref_name: str = "latest") -> Layout:
    """The single image of a legacy `docker save` file, as an OCI layout
    with gzip-compressed layers; the config is kept byte for byte."""
    with tarfile.open(saved) as tar:
        entry = json.loads(tar.extractfile("manifest.json").read())[0]
        config = tar.extractfile(entry["Config"]).read()
        layers = [tar.extractfile(path).read() for path in entry["Layers"]]
    return write_layout(root, layers, compress=True, ref_name=ref_name, config=config)


def docker_save(client, ref: str, out: Path) -> Path:
    with open(out, "wb") as handle:
        for chunk in client.images.get(ref).save(named=True):
            handle.write(chunk)
    return out


# -- a real registry ----------------------------------------------------------------


@pytest.fixture(scope="session")
def local_registry(tmp_path_factory) -> Iterator[LocalRegistry]:
    """A private registry process: the tests tamper with its storage, so it
    is not the shared `registry` fixture of conftest.py. No docker daemon:
    layouts go in with `push_layout`, over the distribution API."""
    with running_registry(tmp_path_factory.mktemp("image-registry"), hostname="127.0.0.1") as started:
        yield started
