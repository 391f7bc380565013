"""Every transport against real images: the docker daemon, `docker save`
files, OCI layouts and archives written from them, and the real local
registry. The same image must give the same config digest and the same
root filesystem whichever way it arrives.
"""

from __future__ import annotations

import hashlib
import stat
import tarfile
from pathlib import Path

import pytest

from cvmify.errors import ImageNotFoundError, IntegrityError
from cvmify.image.rootfs import RootFS
from cvmify.image.source import open_image
from cvmify.image.unpack import unpack
from tests.images.hostfiles import find_static_busybox
from tests.test_image_support import docker_save, layout_from_docker_save

pytestmark = pytest.mark.docker


def tree_of(fs: RootFS) -> dict[str, tuple]:
    """path -> (mode, uid, gid, content digest or link target)."""
    out = {}
    for path, node in fs.iter_nodes():
        if node.is_file:
            what = hashlib.sha256(fs.read(path)).hexdigest()
        else:
            what = node.target
        out[path] = (node.mode, node.uid, node.gid, what)
    return out


def unpack_ref(reference: str, tmp_path: Path, name: str) -> tuple[RootFS, str, str | None]:
    with open_image(reference, tmp_path / f"{name}-work") as image:
        assert image.platform == "linux/amd64"
        fs = unpack(image, tmp_path / f"{name}-staging")
        return fs, image.config_digest, image.manifest_digest


def check_busybox(fs: RootFS) -> None:
    assert fs.read("/bin/busybox") == find_static_busybox().read_bytes()
    node = fs.lookup("/bin/busybox")
    assert stat.S_IMODE(node.mode) == 0o755 and node.uid == 0
    assert fs.lookup("/bin/sh", follow_final=False).is_symlink
    assert fs.resolve("/bin/sh") == "/bin/busybox"
    assert stat.S_IMODE(fs.lookup("/tmp").mode) == 0o1777


@pytest.fixture(scope="module")
def busybox_saved(docker_client, busybox_image, tmp_path_factory) -> Path:
    return docker_save(docker_client, busybox_image, tmp_path_factory.mktemp("save") / "busybox.tar")


def test_docker_daemon(docker_client, busybox_image, tmp_path):
    fs, config_digest, manifest_digest = unpack_ref(f"docker-daemon:{busybox_image}", tmp_path, "d")
    assert config_digest == docker_client.images.get(busybox_image).id
    assert manifest_digest is None
    check_busybox(fs)


def test_bare_name_goes_to_the_daemon(docker_client, busybox_image, tmp_path):
    with open_image(busybox_image, tmp_path / "work") as image:
        assert image.reference == f"docker-daemon:{busybox_image}"
        assert image.config_digest == docker_client.images.get(busybox_image).id


def test_docker_archive(docker_client, busybox_image, busybox_saved, tmp_path):
    expected_id = docker_client.images.get(busybox_image).id
    fs, config_digest, _ = unpack_ref(f"docker-archive:{busybox_saved}", tmp_path, "a")
    assert config_digest == expected_id
    check_busybox(fs)
    with open_image(f"docker-archive:{busybox_saved}:{busybox_image}", tmp_path / "w2") as image:
        assert image.config_digest == expected_id
    with pytest.raises(ImageNotFoundError, match="no image named 'cvmify-test/other:latest'"):
        open_image(f"docker-archive:{busybox_saved}:cvmify-test/other", tmp_path / "w3")


def test_oci_layout_and_archive_match_the_daemon(busybox_image, busybox_saved, tmp_path):
    layout = layout_from_docker_save(busybox_saved, tmp_path / "layout", ref_name="v1")
    daemon_fs, daemon_config, _ = unpack_ref(f"docker-daemon:{busybox_image}", tmp_path, "d")
    for reference in (f"oci:{layout.path}", f"oci:{layout.path}:v1"):
        fs, config_digest, manifest_digest = unpack_ref(reference, tmp_path, f"o{len(reference)}")
        assert config_digest == daemon_config
        assert manifest_digest == layout.manifest_digest
        assert tree_of(fs) == tree_of(daemon_fs)
    with pytest.raises(ImageNotFoundError, match="no image named 'v2'"):
        open_image(f"oci:{layout.path}:v2", tmp_path / "w")

    archive = tmp_path / "busybox-oci.tar"
    with tarfile.open(archive, "w") as tar:
        for child in sorted(layout.path.iterdir()):
            tar.add(child, arcname=child.name)
    fs, config_digest, manifest_digest = unpack_ref(f"oci-archive:{archive}", tmp_path, "oa")
    assert (config_digest, manifest_digest) == (daemon_config, layout.manifest_digest)
    assert tree_of(fs) == tree_of(daemon_fs)


def test_registry_pull(docker_client, registry, busybox_image, tmp_path):
    pushed = registry.push(busybox_image, "cvmify/busybox", "t1")
    reference = f"docker://{registry.host}/cvmify/busybox:t1"
    fs, config_digest, manifest_digest = unpack_ref(reference, tmp_path, "r")
    assert manifest_digest == pushed
    assert config_digest == docker_client.images.get(busybox_image).id
    check_busybox(fs)
    with open_image(f"docker://{registry.host}/cvmify/busybox@{pushed}", tmp_path / "w") as image:
        assert image.manifest_digest == pushed and image.config_digest == config_digest
        assert image.reference == f"docker://{registry.host}/cvmify/busybox@{pushed}"
    # not in the daemon under this name: a bare name falls through to the registry
    with open_image(f"{registry.host}/cvmify/busybox:t1", tmp_path / "w2") as image:
        assert image.reference == reference and image.manifest_digest == pushed


def test_registry_missing_image(registry, tmp_path):
    with pytest.raises(ImageNotFoundError, match="not found"):
        open_image(f"docker://{registry.host}/cvmify/nothing-here:latest", tmp_path)


def test_daemon_missing_image(docker_client, tmp_path):
    with pytest.raises(ImageNotFoundError, match="is not in the docker daemon"):
        open_image("docker-daemon:cvmify-test/does-not-exist:nope", tmp_path)


def test_layers_image_integrity_in_docker_archive(docker_client, layers_image, tmp_path):
    """Flip one byte inside a layer.tar of a real `docker save`: the layer
    digest (the diff_id) no longer matches."""
    saved = docker_save(docker_client, layers_image, tmp_path / "layers.tar")
    data = bytearray(saved.read_bytes())
    with tarfile.open(saved) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("layer.tar") and m.size > 0)
    data[member.offset_data + 100] ^= 0x01  # the mode field of the layer's first header
    saved.write_bytes(bytes(data))
    with open_image(f"docker-archive:{saved}", tmp_path / "w") as image:
        with pytest.raises(IntegrityError, match="digest mismatch"):
            unpack(image, tmp_path / "staging")
