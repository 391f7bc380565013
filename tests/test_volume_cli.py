"""`cvmify volume` and the host side of volumes: names, -v/--mount specs,
the per-user store, locks against a second user, and the rollback check
of VM mode (docs/volume-format.md, "Rollback")."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cvmify.errors import IntegrityError, UsageError, VolumeError
from cvmify.volume.fs import VolumeFS
from cvmify.volume.mounts import VolumeMount, check_mounts, parse_mount_flag, parse_volume_flag
from cvmify.volume.registry import VolumeStore, parse_size
from cvmify.volume.store import open_volume
from tests.guest import REPO_ROOT


@pytest.fixture
def store(tmp_path):
    return VolumeStore(tmp_path / "state")


def cli(tmp_path, *args):
    env = {"CVMIFY_STATE_DIR": str(tmp_path / "state"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "cvmify", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=env, timeout=120)


def test_volume_flags():
    assert parse_volume_flag("data:/var/lib/db") == VolumeMount("data", "/var/lib/db")
    assert parse_volume_flag("data:/srv/:ro") == VolumeMount("data", "/srv", read_only=True)
    anon = parse_volume_flag("/cache")
    assert anon.anonymous and len(anon.name) == 64 and anon.target == "/cache"
    for bind in ("/etc:/etc", "./here:/x", "~/x:/x", "a/b:/x"):
        with pytest.raises(VolumeError, match="bind mounts are not possible in a confidential VM"):
            parse_volume_flag(bind)
    for bad in ("data:relative", "data:/", "data:/x:zz", "d:/x", "a:b:c:d"):
        with pytest.raises((UsageError, VolumeError)):
            parse_volume_flag(bad)


def test_mount_flags():
    assert parse_mount_flag("type=volume,source=db,target=/data,readonly") == VolumeMount("db", "/data", True)
    assert parse_mount_flag("src=db,dst=/data,ro=false") == VolumeMount("db", "/data", False)
    assert parse_mount_flag("target=/data").anonymous
    with pytest.raises(VolumeError, match="bind mounts"):
        parse_mount_flag("type=bind,source=/srv,target=/srv")
    for bad in ("type=volume,source=db", "source=db,target=/d,size=1", "type=nfs,target=/d",
                "source=db,target=/d,readonly=maybe", "type=tmpfs,target=/t"):
        with pytest.raises((UsageError, VolumeError)):
            parse_mount_flag(bad)
    with pytest.raises(VolumeError, match="named twice"):
        check_mounts([VolumeMount("db", "/a"), VolumeMount("db", "/b")])


def test_sizes():
    assert parse_size("4M") == 4 << 20 and parse_size("1GiB") == 1 << 30 and parse_size("1048577") == (1 << 20) + 4096
    for bad in ("1K", "2T", "lots"):
        with pytest.raises(UsageError):
            parse_size(bad)


def test_create_is_idempotent_and_atomic(store):
    volume, created = store.create("db", 4 << 20)
    assert created and volume.image.stat().st_size == 4 << 20
    assert oct(volume.key_path.stat().st_mode & 0o777) == "0o600"
    again, created = store.create("db")
    assert not created and again.record.uuid == volume.record.uuid
    with pytest.raises(VolumeError, match="exists with size"):
        store.create("db", 8 << 20)
    assert [v.name for v in store.all()] == ["db"]
    assert not any(p.name.startswith(".") for p in store.root.iterdir())


def guest_writes(attached, path, data):
    """What a guest run does to a volume: open the state it was given, write, commit."""
    with open_volume(attached.volume.image, attached.key, attached.state, writable=True) as v:
        VolumeFS(v).write_file(path, data)
        v.commit()


def test_runs_record_their_state_and_rollback_is_refused(store):
    with store.attach("db", read_only=False) as a:
        guest_writes(a, "/one", b"1")
    saved = store.get("db").image.read_bytes()
    with store.attach("db", read_only=False) as a:
        guest_writes(a, "/two", b"2")
    record = store.get("db").record
    store.get("db").image.write_bytes(saved)  # the host hands back an older copy
    with pytest.raises(IntegrityError, match="rolled back"):
        with store.attach("db", read_only=False):
            pass
    assert store.get("db").record == record  # the refusal recorded nothing


def test_a_newer_unrecorded_state_is_accepted(store):
    volume, _ = store.create("db", 4 << 20)
    key = store.read_key(volume)
    with open_volume(volume.image, key, volume.record.state, writable=True) as v:  # a run cvmify did not see end
        VolumeFS(v).write_file("/x", b"x")
        state = v.commit()
    with store.attach("db", read_only=True) as a:
        assert a.state == state
    assert store.get("db").record.state == state


def test_in_use_volumes_are_locked(store):
    with store.attach("db", read_only=False):
        with pytest.raises(VolumeError, match="in use by a running container"):
            with store.attach("db", read_only=True):
                pass
        with pytest.raises(VolumeError, match="in use"):
            store.remove("db")
        assert store.get("db").in_use
    with store.attach("db", read_only=True), store.attach("db", read_only=True):
        pass  # readers share
    store.remove("db")
    with pytest.raises(VolumeError, match="no such volume"):
        store.get("db")


def test_cli_create_ls_inspect_rm(tmp_path):
    created = cli(tmp_path, "volume", "create", "data", "--size", "4M")
    assert created.returncode == 0 and created.stdout == "data\n"
    assert "development key" in created.stderr
    assert cli(tmp_path, "volume", "create", "--json").returncode == 0
    listed = json.loads(cli(tmp_path, "volume", "ls", "--json").stdout)
    assert len(listed["result"]["volumes"]) == 2
    assert "data" in cli(tmp_path, "volume", "ls", "-q").stdout.split()
    shown = json.loads(cli(tmp_path, "volume", "inspect", "data", "--verify").stdout)
    assert shown[0]["size"] == 4 << 20 and shown[0]["verified"]["generation"] == 1
    missing = cli(tmp_path, "volume", "rm", "data", "nope")
    assert missing.returncode == 15 and "no such volume: nope" in missing.stderr
    assert cli(tmp_path, "volume", "inspect", "data").returncode == 0  # nothing half done
    assert cli(tmp_path, "volume", "rm", "-f", "data", "nope").stdout == "data\n"
    assert cli(tmp_path, "volume", "inspect", "data").returncode == 15


def test_cli_inspect_verify_finds_tampering(tmp_path, store):
    with store.attach("data", read_only=False) as a:
        guest_writes(a, "/f", b"x" * 10000)
    image = store.get("data").image
    with open_volume(image, store.read_key(store.get("data"))) as v:
        leaf = v.load(v.inode(VolumeFS(v).lookup("/f")).root, "node")
    from cvmify.volume.layout import BlockPtr

    block = BlockPtr.unpack(leaf, 32).block
    raw = bytearray(image.read_bytes())
    raw[block * 4096 + 5] ^= 0x40
    image.write_bytes(bytes(raw))
    shown = cli(tmp_path, "volume", "inspect", "data", "--verify")
    assert shown.returncode == 7 and "failed authentication" in shown.stderr


def test_cli_rm_of_a_volume_in_use_fails(tmp_path, store):
    with store.attach("busy", read_only=False):
        removed = cli(tmp_path, "volume", "rm", "busy")
    assert removed.returncode == 15 and "in use by a running container" in removed.stderr
