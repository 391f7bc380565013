"""`docker save` read as a stream (cvmify/image/daemon_stream.py): layers are
scanned as they arrive, and nothing reaches the Image before every digest
is checked. Crafted legacy archives are fed as chunks, like the daemon's
HTTP body; the last test streams a real image from the daemon."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from cvmify.errors import CvmifyIOError, IntegrityError, UnsafeImageError
from cvmify.image.daemon_stream import read_save_stream
from cvmify.image.source import open_image
from cvmify.image.unpack import unpack
from tests.images.tarlayer import tar_layer
from tests.test_image_support import image_config, sha256

V1_IDS = ["1" * 64, "0" * 64]  # name order puts the second layer first, as docker may


def legacy_save(layers: list[bytes], config: bytes | None = None, order=None,
                extra: dict[str, bytes] | None = None) -> bytes:
    """A docker<25 `docker save`: <config>.json, <v1id>/layer.tar..., manifest.json."""
    if config is None:
        config = json.dumps(image_config([sha256(layer) for layer in layers])).encode()
    config_name = sha256(config).split(":")[1] + ".json"
    paths = [f"{V1_IDS[i]}/layer.tar" for i in range(len(layers))]
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["app:latest"],
                            "Layers": order or paths}]).encode()
    members = {config_name: config, **dict(zip(paths, layers)), "manifest.json": manifest, **(extra or {})}
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name in sorted(members):
            info = tarfile.TarInfo(name)
            info.size = len(members[name])
            tar.addfile(info, io.BytesIO(members[name]))
    return out.getvalue()


def chunks(data: bytes, size: int = 4096):
    return (data[i:i + size] for i in range(0, len(data), size))


def stream(tmp_path: Path, data: bytes):
    return read_save_stream(chunks(data), tmp_path / "scanned", "docker-daemon:app:latest")


LOWER = tar_layer(lambda t: (t.dir("etc"), t.file("etc/os-release", b"ID=cvm\n"), t.file("etc/gone", b"x")))
UPPER = tar_layer(lambda t: (t.file("etc/.wh.gone"), t.file("bin/app", b"\x7fELF", mode=0o755)))


def test_layers_are_scanned_on_arrival_and_replayed_in_image_order(tmp_path):
    image = stream(tmp_path, legacy_save([LOWER, UPPER]))
    assert [layer.digest for layer in image.layers] == [sha256(LOWER), sha256(UPPER)]
    assert sorted(image.scanned) == [0, 1]
    fs = unpack(image, tmp_path / "staging")
    assert fs.read("/etc/os-release") == b"ID=cvm\n"
    assert fs.lookup("/etc/gone") is None  # the upper whiteout ran after the lower layer
    assert fs.read("/bin/app") == b"\x7fELF" and fs.lookup("/bin/app").mode & 0o777 == 0o755
    with pytest.raises(CvmifyIOError, match="its tar was not kept"):
        image.open_layer(image.layers[0])
    with pytest.raises(CvmifyIOError, match="already unpacked"):  # the edits are used once
        unpack(image, tmp_path / "again")


def test_a_layer_that_does_not_match_its_diff_id_is_refused(tmp_path):
    config = json.dumps(image_config([sha256(LOWER), sha256(LOWER)])).encode()
    with pytest.raises(IntegrityError, match=r"layer 2/2 .* digest mismatch"):
        stream(tmp_path, legacy_save([LOWER, UPPER], config=config))


def test_a_config_that_does_not_match_its_name_is_refused(tmp_path):
    data = legacy_save([LOWER])
    config = json.dumps(image_config([sha256(LOWER)])).encode()
    tampered = data.replace(config, config.replace(b"linux", b"linuz"))
    assert tampered != data
    with pytest.raises(IntegrityError, match="digest mismatch"):
        stream(tmp_path, tampered)


def test_an_unsafe_layer_is_refused_with_its_place_in_the_image(tmp_path):
    evil = tar_layer(lambda t: t.file("../escape", b"x"))
    with pytest.raises(UnsafeImageError) as info:
        stream(tmp_path, legacy_save([LOWER, evil]))
    assert str(info.value).startswith(f"layer 2/2 ({sha256(evil)[:19]}): ")
    assert "member '../escape'" in str(info.value)


def test_a_digest_mismatch_wins_over_an_unsafe_member(tmp_path):
    evil = tar_layer(lambda t: t.file("/etc/passwd", b"x"))
    config = json.dumps(image_config([sha256(LOWER), sha256(UPPER)])).encode()
    with pytest.raises(IntegrityError):
        stream(tmp_path, legacy_save([LOWER, evil], config=config))


def test_missing_and_repeated_layers_are_refused(tmp_path):
    missing = legacy_save([LOWER], order=[f"{'2' * 64}/layer.tar"])
    with pytest.raises(IntegrityError, match="missing from the export"):
        stream(tmp_path / "a", missing)
    config = json.dumps(image_config([sha256(LOWER)] * 2)).encode()
    twice = legacy_save([LOWER], config=config, order=[f"{V1_IDS[0]}/layer.tar"] * 2)
    with pytest.raises(UnsafeImageError, match="lists a layer twice"):
        stream(tmp_path / "b", twice)


def test_an_oci_shaped_export_is_left_to_the_file_path(tmp_path):
    data = legacy_save([LOWER], extra={"oci-layout": b'{"imageLayoutVersion": "1.0.0"}'})
    assert stream(tmp_path, data) is None


def test_a_truncated_stream_is_an_error(tmp_path):
    data = legacy_save([LOWER, UPPER])
    with pytest.raises((CvmifyIOError, UnsafeImageError)):
        stream(tmp_path, data[: len(data) // 2])


@pytest.mark.docker
def test_daemon_images_are_streamed_and_equal_the_archive_path(busybox_image, tmp_path):
    """The daemon path (streamed) and a `docker save` file read as a
    docker-archive give the same config digest and the same tree."""
    import docker

    saved = tmp_path / "saved.tar"
    with open(saved, "wb") as f:
        for chunk in docker.from_env().images.get(busybox_image).save(named=False):
            f.write(chunk)
    trees = []
    for ref in (f"docker-daemon:{busybox_image}", f"docker-archive:{saved}"):
        with open_image(ref, tmp_path / f"w{len(trees)}") as image:
            streamed = bool(image.prescanned)
            fs = unpack(image, tmp_path / f"s{len(trees)}")
        trees.append((image.config_digest, streamed, [
            (path, node.mode, node.uid, node.gid, node.mtime, node.target,
             fs.read(path) if node.is_file else None)
            for path, node in fs.iter_nodes()]))
    (daemon_digest, daemon_streamed, daemon_tree), (archive_digest, archive_streamed, archive_tree) = trees
    assert daemon_streamed and not archive_streamed
    assert daemon_digest == archive_digest
    assert daemon_tree == archive_tree and len(daemon_tree) > 100
