"""Every blob is verified: tampered layers and configs in an OCI layout and
in a real registry's storage, lying diff_ids, indexes and platforms, and
media types we do not read."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cvmify.errors import (ExitCode, ImageNotFoundError, IntegrityError, UnsafeImageError,
                           UnsupportedImageError, UsageError)
from cvmify.image.layer_stream import max_image_size
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


# -- decompressed size is bounded while it streams (issue 11, item 8) -------------


def _bomb_layout(tmp_path, megabytes: int):
    """Two gzip layers of zeros: each a few KiB stored, `megabytes` MiB unpacked."""
    zeros = b"\0" * (megabytes << 20)
    layers = [tar_layer(lambda t: t.file("zeros1", zeros)), tar_layer(lambda t: t.file("zeros2", zeros))]
    return write_layout(tmp_path / "bomb", layers, compress=True)


def test_a_layer_that_inflates_past_the_limit_is_refused_while_streaming(tmp_path, monkeypatch):
    layout = _bomb_layout(tmp_path, 8)
    assert max(p.stat().st_size for p in (layout.path / "blobs" / "sha256").iterdir()) < 64 << 10
    monkeypatch.setenv("CVMIFY_MAX_IMAGE_SIZE", "2M")
    staging = tmp_path / "staging"
    with open_image(f"oci:{layout.path}", tmp_path / "w") as image:
        with pytest.raises(UnsafeImageError, match="decompress to more than 2097152 bytes"):
            unpack(image, staging)
    staged = sum(p.stat().st_size for p in staging.rglob("*") if p.is_file())
    assert staged <= 3 << 20  # stopped near the limit, not after 8 MiB


def test_the_limit_counts_all_layers_of_the_image(tmp_path, monkeypatch):
    layout = _bomb_layout(tmp_path, 3)  # 3 MiB each, 6 MiB together
    monkeypatch.setenv("CVMIFY_MAX_IMAGE_SIZE", "5M")
    with open_image(f"oci:{layout.path}", tmp_path / "w") as image:
        with pytest.raises(UnsafeImageError, match="layer .*decompress to more than"):
            unpack(image, tmp_path / "s")
    monkeypatch.setenv("CVMIFY_MAX_IMAGE_SIZE", "7M")
    with open_image(f"oci:{layout.path}", tmp_path / "w2") as image:
        assert unpack(image, tmp_path / "s2").lookup("/zeros2").size == 3 << 20


def test_zip_bomb_through_the_cli_is_one_line_exit_9_and_no_bundle(tmp_path):
    layout = _bomb_layout(tmp_path, 4)
    kernel = tmp_path / "kernel.elf"
    kernel.write_bytes(b"not used: the build stops first")
    env = dict(os.environ, CVMIFY_MAX_IMAGE_SIZE="1M")
    done = subprocess.run([sys.executable, "-m", "cvmify", "build", f"oci:{layout.path}", "-o",
                           str(tmp_path / "out"), "--kernel", str(kernel)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == ExitCode.UNSAFE_IMAGE, done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith("cvmify: warning")]
    assert len(lines) == 1 and "decompress to more than 1048576 bytes" in lines[0], done.stderr
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("out")] == []


def test_max_image_size_setting_is_checked():
    assert max_image_size({}) == 64 << 30
    assert max_image_size({"CVMIFY_MAX_IMAGE_SIZE": "500M"}) == 500 << 20
    assert max_image_size({"CVMIFY_MAX_IMAGE_SIZE": "1234"}) == 1234
    with pytest.raises(UsageError, match="CVMIFY_MAX_IMAGE_SIZE"):
        max_image_size({"CVMIFY_MAX_IMAGE_SIZE": "lots"})
