"""Helpers for the image tests: hand-made layers, OCI layouts, a registry.

- `tar_layer(build)`: a layer tarball written with tarfile, member by member;
- `write_layout(...)`: an OCI image layout from a config and layer tarballs;
- `layout_from_docker_save(...)`: the same image as an OCI layout, from a
  `docker save` file (gzip layers, so the gzip path is exercised too);
- `local_registry`: Debian's real docker-registry on a free loopback port,
  with `push_layout(...)` speaking the OCI distribution API by hand.

No tests here; the test modules import what they need.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import requests

from tests.conftest import REGISTRY_BINARY, REGISTRY_CONFIG, free_port, unavailable, wait_for_registry

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- layers --------------------------------------------------------------------


class TarBuilder:
    """Adds members to a tar in memory. Names are written exactly as given."""

    def __init__(self, fmt: int = tarfile.PAX_FORMAT):
        self.buffer = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buffer, mode="w", format=fmt)

    def _info(self, name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.mtime = kind, mode, 1700000000
        return info

    def dir(self, name: str, mode: int = 0o755) -> None:
        self.tar.addfile(self._info(name, tarfile.DIRTYPE, mode))

    def file(self, name: str, content: bytes = b"", mode: int = 0o644, uid: int = 0) -> None:
        info = self._info(name, tarfile.REGTYPE, mode)
        info.size, info.uid = len(content), uid
        self.tar.addfile(info, io.BytesIO(content))

    def symlink(self, name: str, target: str) -> None:
        info = self._info(name, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self.tar.addfile(info)

    def hardlink(self, name: str, target: str) -> None:
        info = self._info(name, tarfile.LNKTYPE, 0o644)
        info.linkname = target
        self.tar.addfile(info)

    def special(self, name: str, kind: bytes) -> None:
        info = self._info(name, kind, 0o666)
        info.devmajor, info.devminor = 1, 3
        self.tar.addfile(info)

    def raw(self, data: bytes) -> None:
        """Bytes appended as they are (hand-made headers)."""
        self.tar.fileobj.write(data)
        self.tar.offset += len(data)

    def finish(self) -> bytes:
        self.tar.close()
        return self.buffer.getvalue()


def tar_layer(build: Callable[[TarBuilder], None], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    builder = TarBuilder(fmt)
    build(builder)
    return builder.finish()


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


@dataclass
class Registry:
    host: str  # "127.0.0.1:PORT"
    storage: Path

    def blob_data(self, digest: str) -> Path:
        hex_part = digest.split(":", 1)[1]
        return self.storage / "docker/registry/v2/blobs/sha256" / hex_part[:2] / hex_part / "data"

    def _upload(self, repo: str, data: bytes) -> str:
        digest = sha256(data)
        start = requests.post(f"http://{self.host}/v2/{repo}/blobs/uploads/", timeout=30)
        assert start.status_code == 202, start.text
        location = start.headers["Location"]
        if location.startswith("/"):
            location = f"http://{self.host}{location}"
        sep = "&" if "?" in location else "?"
        done = requests.put(f"{location}{sep}digest={digest}", data=data, timeout=60,
                            headers={"Content-Type": "application/octet-stream"})
        assert done.status_code == 201, done.text
        return digest

    def push_layout(self, layout: Layout, repo: str, tag: str) -> None:
        """Push every blob of `layout`, then its manifest under `tag`."""
        for blob in sorted((layout.path / "blobs" / "sha256").iterdir()):
            if ("sha256:" + blob.name) != layout.manifest_digest:
                self._upload(repo, blob.read_bytes())
        self.put_manifest(repo, tag, layout.blob(layout.manifest_digest).read_bytes(), OCI_MANIFEST)

    def put_manifest(self, repo: str, tag: str, body: bytes, media_type: str) -> str:
        reply = requests.put(f"http://{self.host}/v2/{repo}/manifests/{tag}", data=body,
                             headers={"Content-Type": media_type}, timeout=30)
        assert reply.status_code == 201, reply.text
        return sha256(body)


@pytest.fixture(scope="session")
def local_registry(tmp_path_factory) -> Registry:
    """A private docker-registry process (the tests tamper with its storage,
    so it is not the shared `registry` fixture of conftest.py, whose
    helpers it reuses)."""
    if not REGISTRY_BINARY.is_file():
        unavailable(f"{REGISTRY_BINARY} not found (apt package docker-registry)")
    home = tmp_path_factory.mktemp("image-registry")
    port = free_port()
    config = home / "config.yml"
    config.write_text(REGISTRY_CONFIG.format(storage=home / "storage", port=port))
    log_path = home / "registry.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(REGISTRY_BINARY), "serve", str(config)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        wait_for_registry(proc, port, log_path)
        yield Registry(f"127.0.0.1:{port}", home / "storage")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
