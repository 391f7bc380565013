"""Every blob is verified: tampered layers and configs in an OCI layout and
in a real registry's storage, lying diff_ids, indexes and platforms, and
media types we do not read."""

from __future__ import annotations

import json

import pytest

from cvmify.errors import ImageNotFoundError, IntegrityError, UnsupportedImageError
from cvmify.image.source import open_image
from cvmify.image.unpack import unpack
from tests.images.tarlayer import tar_layer
from tests.test_image_support import (
    OCI_INDEX,
    image_config,
    local_registry,  # noqa: F401 (fixture)
    sha256,
    write_layout,
)


APP = b"#!/bin/sh\necho hi\n" * 50


def small_layers(marker: str = "") -> list[bytes]:
    """Two layers; `marker` makes the blobs unique (the registry's storage
    is shared by content, and some tests tamper with it)."""
    return [
        tar_layer(lambda t: (t.dir("etc"), t.file("etc/hostname", b"cvm\n"), t.file("marker", marker.encode()))),
        tar_layer(lambda t: t.file("app", APP, mode=0o755)),
    ]


def flip(path, offset: int = -20) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("compress", [False, True])
def test_layout_round_trip(tmp_path, compress):
    layout = write_layout(tmp_path / "l", small_layers(), compress=compress)
    with open_image(f"oci:{layout.path}", tmp_path / "w") as image:
        fs = unpack(image, tmp_path / "s")
    assert fs.read("/etc/hostname") == b"cvm\n"
    assert fs.lookup("/app").size == len(APP) and fs.read("/app") == APP


@pytest.mark.parametrize("compress", [False, True])
def test_tampered_layer_in_a_layout(tmp_path, compress):
    layout = write_layout(tmp_path / "l", small_layers(), compress=compress)
    flip(layout.blob(layout.layer_digests[1]))
    with open_image(f"oci:{layout.path}", tmp_path / "w") as image:
        with pytest.raises(IntegrityError, match=f"{layout.layer_digests[1][:19]} blob: digest mismatch"):
            unpack(image, tmp_path / "s")


def test_tampered_config_in_a_layout(tmp_path):
    layout = write_layout(tmp_path / "l", small_layers())
    config = layout.blob(layout.config_digest)
    config.write_text(config.read_text().replace('"/bin/sh"', '"/bin/XX"'))
    with pytest.raises(IntegrityError, match="config: digest mismatch"):
        open_image(f"oci:{layout.path}", tmp_path / "w")


def test_truncated_layer_in_a_layout(tmp_path):
    layout = write_layout(tmp_path / "l", small_layers(), compress=True)
    blob = layout.blob(layout.layer_digests[0])
    blob.write_bytes(blob.read_bytes()[:-30])
    with open_image(f"oci:{layout.path}", tmp_path / "w") as image:
        with pytest.raises(IntegrityError, match="size mismatch|digest mismatch"):
            unpack(image, tmp_path / "s")


def test_config_diff_ids_must_match_the_layers(tmp_path):
    layers = small_layers()
    lying = image_config([sha256(layers[0]), sha256(b"another layer")])
    layout = write_layout(tmp_path / "l", layers, config=lying)
    with open_image(f"oci:{layout.path}", tmp_path / "w") as image:
        with pytest.raises(IntegrityError, match=r"content \(diff_id\): digest mismatch"):
            unpack(image, tmp_path / "s")


def test_arm64_image_is_refused(tmp_path):
    layout = write_layout(tmp_path / "l", small_layers(), arch="arm64")
    with pytest.raises(UnsupportedImageError) as info:
        open_image(f"oci:{layout.path}", tmp_path / "w")
    assert str(info.value) == "image is linux/arm64; cvmify needs linux/amd64"


def test_unknown_layer_media_type_is_named(tmp_path):
    weird = "application/vnd.oci.image.layer.v1.tar+bzip2"
    layout = write_layout(tmp_path / "l", small_layers(), layer_type=weird)
    with pytest.raises(UnsupportedImageError, match=r"unsupported layer media type 'application/vnd\.oci\.image\.layer\.v1\.tar\+bzip2'"):
        open_image(f"oci:{layout.path}", tmp_path / "w")


def test_zstd_layers(tmp_path):
    """zstd is optional: decompressed when the `zstandard` module is there,
    else refused with a clear message."""
    zstd_type = "application/vnd.oci.image.layer.v1.tar+zstd"
    try:
        import zstandard
    except ImportError:
        layout = write_layout(tmp_path / "l", small_layers(), layer_type=zstd_type)
        with pytest.raises(UnsupportedImageError, match="needs the 'zstandard' Python module"):
            open_image(f"oci:{layout.path}", tmp_path / "w")  # before anything is pulled
        return
    layout = write_layout(tmp_path / "l", small_layers(), layer_type=zstd_type,
                          compress=zstandard.ZstdCompressor().compress)
    with open_image(f"oci:{layout.path}", tmp_path / "w") as image:
        assert unpack(image, tmp_path / "s").read("/etc/hostname") == b"cvm\n"


def test_missing_layout(tmp_path):
    with pytest.raises(ImageNotFoundError):
        open_image(f"oci:{tmp_path / 'nowhere'}", tmp_path / "w")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImageNotFoundError, match="not an OCI image layout"):
        open_image(f"oci:{tmp_path / 'empty'}", tmp_path / "w")


# -- against the real registry ---------------------------------------------------


@pytest.mark.docker
def test_registry_serves_a_tampered_blob(local_registry, tmp_path):
    layout = write_layout(tmp_path / "l", small_layers("tamper"), compress=True)
    local_registry.push_layout(layout, "tamper/app", "v1")
    reference = f"docker://{local_registry.host}/tamper/app:v1"
    with open_image(reference, tmp_path / "w0") as image:  # untouched: fine
        assert unpack(image, tmp_path / "s0").read("/etc/hostname") == b"cvm\n"
    # the registry serves its stored manifest as is: a pinned digest catches it
    manifest = local_registry.blob_data(layout.manifest_digest)
    manifest.write_bytes(manifest.read_bytes().replace(b'"schemaVersion": 2', b'"schemaVersion": 2 '))
    with pytest.raises(IntegrityError, match="manifest .*digest mismatch"):
        open_image(f"docker://{local_registry.host}/tamper/app@{layout.manifest_digest}", tmp_path / "w")
    flip(local_registry.blob_data(layout.layer_digests[0]))
    with open_image(reference, tmp_path / "w1") as image:
        with pytest.raises(IntegrityError, match="digest mismatch"):
            unpack(image, tmp_path / "s1")
    assert list((tmp_path / "w1" / "blobs" / "sha256").iterdir()) == [
        tmp_path / "w1" / "blobs" / "sha256" / layout.config_digest.split(":")[1]
    ]  # the bad layer was not kept


@pytest.mark.docker
def test_registry_pinned_digest_and_index(local_registry, tmp_path):
    amd = write_layout(tmp_path / "amd", small_layers("multi"), compress=True)
    arm = write_layout(tmp_path / "arm", [tar_layer(lambda t: t.file("arm", b"1"))], arch="arm64")
    local_registry.push_layout(amd, "multi/app", "amd64-only")
    local_registry.push_layout(arm, "multi/app", "arm64-only")

    def entry(layout, arch):
        body = layout.blob(layout.manifest_digest).read_bytes()
        return {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": layout.manifest_digest,
                "size": len(body), "platform": {"os": "linux", "architecture": arch}}

    both = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                       "manifests": [entry(arm, "arm64"), entry(amd, "amd64")]}).encode()
    index_digest = local_registry.put_manifest("multi/app", "both", both, OCI_INDEX)
    host = local_registry.host
    for ref in (f"multi/app:both", f"multi/app@{index_digest}"):
        with open_image(f"docker://{host}/{ref}", tmp_path / "w") as image:
            assert image.manifest_digest == amd.manifest_digest
            assert image.config_digest == amd.config_digest

    arm_only = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                           "manifests": [entry(arm, "arm64")]}).encode()
    local_registry.put_manifest("multi/app", "arm", arm_only, OCI_INDEX)
    with pytest.raises(UnsupportedImageError, match=r"no linux/amd64 image \(offered: linux/arm64\)"):
        open_image(f"docker://{host}/multi/app:arm", tmp_path / "w2")
    with pytest.raises(UnsupportedImageError, match="image is linux/arm64; cvmify needs linux/amd64"):
        open_image(f"docker://{host}/multi/app:arm64-only", tmp_path / "w3")
