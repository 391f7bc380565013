"""The bundle directory: atomic writes, file modes, the index, and loading checks."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest

from cvmify.bundle import (
    FORMAT, INDEX_FILE, KEY_FILE, LISTED_FILES, BundleWriter, DiskSummary, ImageInfo, load_bundle,
)
from cvmify.errors import BadBundleError, CvmifyIOError, UsageError

IMAGE = ImageInfo("docker-daemon:x:latest", "sha256:" + "ab" * 32, None, "linux/amd64")
DISK = DiskSummary(4096, 3, bytes(range(48)))
KEY = bytes(range(32))


def write_bundle(target: Path, force: bool = False, content: bytes = b"data", created: int = 1700000000) -> Path:
    with BundleWriter(target, force=force) as w:
        for name in LISTED_FILES:
            w.write_bytes(name, content + name.encode())
        w.write_key(KEY)
        w.commit(created, IMAGE, DISK)
    return target


def siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def test_round_trip(tmp_path):
    target = write_bundle(tmp_path / "b")
    bundle = load_bundle(target)
    assert bundle.index.image == IMAGE
    assert bundle.index.disk == DISK
    assert bundle.index.created == 1700000000
    assert bundle.read_key() == KEY
    assert bundle.hash_problems() == []
    for name in LISTED_FILES:
        data = (target / name).read_bytes()
        assert bundle.index.files[name].sha256 == hashlib.sha256(data).hexdigest()
        assert bundle.index.files[name].size == len(data)


def test_index_is_canonical_json_without_the_key(tmp_path):
    target = write_bundle(tmp_path / "b")
    raw = (target / INDEX_FILE).read_text()
    data = json.loads(raw)
    assert raw == json.dumps(data, indent=2, sort_keys=True) + "\n"
    assert data["format"] == FORMAT
    assert data["key"] == {"file": KEY_FILE, "development_only": True}
    assert sorted(data["files"]) == sorted(LISTED_FILES)
    assert KEY_FILE not in data["files"]
    assert data["disk"]["root"] == DISK.root.hex()
    assert data["image"]["manifest_digest"] is None


def test_file_modes(tmp_path):
    target = write_bundle(tmp_path / "b")
    assert stat.S_IMODE((target / KEY_FILE).stat().st_mode) == 0o600
    for name in (*LISTED_FILES, INDEX_FILE):
        assert stat.S_IMODE((target / name).stat().st_mode) == 0o644
    assert (target / KEY_FILE).stat().st_mtime == 1700000000


def test_same_inputs_same_bytes(tmp_path):
    a, b = write_bundle(tmp_path / "a"), write_bundle(tmp_path / "b")
    for name in (*LISTED_FILES, INDEX_FILE, KEY_FILE):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_failure_leaves_nothing_behind(tmp_path):
    target = tmp_path / "b"
    with pytest.raises(RuntimeError):
        with BundleWriter(target) as w:
            w.write_bytes("kernel.elf", b"k")
            w.write_key(KEY)
            raise RuntimeError("a later stage failed")
    assert siblings(target) == []


def test_commit_refuses_missing_files(tmp_path):
    target = tmp_path / "b"
    with pytest.raises(CvmifyIOError):
        with BundleWriter(target) as w:
            w.write_bytes("kernel.elf", b"k")
            w.commit(0, IMAGE, DISK)
    assert siblings(target) == []


def test_existing_target_needs_force(tmp_path):
    target = write_bundle(tmp_path / "b", content=b"old")
    with pytest.raises(UsageError, match="--force"):
        write_bundle(target, content=b"new")
    assert (target / "kernel.elf").read_bytes() == b"oldkernel.elf"
    write_bundle(target, force=True, content=b"new")
    assert (target / "kernel.elf").read_bytes() == b"newkernel.elf"
    assert siblings(target) == ["b"]  # no backup or temporary left


def test_force_does_not_replace_a_non_bundle_directory(tmp_path):
    target = tmp_path / "home"
    target.mkdir()
    (target / "precious.txt").write_text("keep me")
    with pytest.raises(UsageError, match="not a bundle"):
        write_bundle(target, force=True)
    assert (target / "precious.txt").read_text() == "keep me"


def test_force_failure_keeps_the_old_bundle(tmp_path):
    target = write_bundle(tmp_path / "b", content=b"old")
    with pytest.raises(RuntimeError):
        with BundleWriter(target, force=True):
            raise RuntimeError("build failed")
    assert load_bundle(target).hash_problems() == []
    assert siblings(target) == ["b"]


def test_parent_directories_are_created(tmp_path):
    target = write_bundle(tmp_path / "x" / "y" / "b")
    assert load_bundle(target).index.image == IMAGE


# -- loading checks --------------------------------------------------------


def edit_index(target: Path, edit) -> None:
    data = json.loads((target / INDEX_FILE).read_text())
    edit(data)
    (target / INDEX_FILE).write_text(json.dumps(data))


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(format="cvmify-bundle/2"),
        lambda d: d.pop("created"),
        lambda d: d.update(created="yesterday"),
        lambda d: d.update(created=True),
        lambda d: d["disk"].update(root="00" * 47),
        lambda d: d["disk"].update(root="AB" * 48),
        lambda d: d["disk"].update(block_size=512),
        lambda d: d["disk"].update(block_count=0),
        lambda d: d["files"].pop("rootfs.img"),
        lambda d: d["files"].update({"extra.bin": {"size": 0, "sha256": "00" * 32}}),
        lambda d: d["files"]["config.bin"].update(sha256="xyz"),
        lambda d: d["files"]["config.bin"].update(size=-1),
        lambda d: d["image"].update(manifest_digest=5),
    ],
)
def test_malformed_index_is_a_bad_bundle(tmp_path, edit):
    target = write_bundle(tmp_path / "b")
    edit_index(target, edit)
    with pytest.raises(BadBundleError):
        load_bundle(target)


def test_not_json_is_a_bad_bundle(tmp_path):
    target = write_bundle(tmp_path / "b")
    (target / INDEX_FILE).write_bytes(b"\xff{")
    with pytest.raises(BadBundleError, match="JSON"):
        load_bundle(target)


def test_missing_things_are_a_bad_bundle(tmp_path):
    with pytest.raises(BadBundleError, match="not a bundle"):
        load_bundle(tmp_path / "nothing")
    target = write_bundle(tmp_path / "b")
    (target / "rootfs.img").unlink()
    with pytest.raises(BadBundleError, match="missing rootfs.img"):
        load_bundle(target)
    target = write_bundle(tmp_path / "c")
    (target / KEY_FILE).unlink()
    with pytest.raises(BadBundleError, match=KEY_FILE):
        load_bundle(target)


def test_size_mismatch_is_a_bad_bundle(tmp_path):
    target = write_bundle(tmp_path / "b")
    with open(target / "config.bin", "ab") as f:
        f.write(b"x")
    with pytest.raises(BadBundleError, match="size"):
        load_bundle(target)


def test_tampered_content_shows_in_hash_problems(tmp_path):
    target = write_bundle(tmp_path / "b")
    data = bytearray((target / "config.bin").read_bytes())
    data[0] ^= 1
    (target / "config.bin").write_bytes(bytes(data))
    problems = load_bundle(target).hash_problems()
    assert len(problems) == 1 and problems[0].startswith("config.bin:")


def test_short_key_is_a_bad_bundle(tmp_path):
    target = write_bundle(tmp_path / "b")
    (target / KEY_FILE).write_bytes(b"short")
    with pytest.raises(BadBundleError, match="32"):
        load_bundle(target).read_key()
