"""`cvmify run -v/--mount`, before anything boots: the measured policy,
the mode and bind mounts are checked first (exit 15, nothing created);
an allowed volume becomes a drive after the root disk, a VOLUME override
record naming its state, and a key file, exactly."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cvmify import cli
from cvmify.bundle import BLOCK_SIZE, BundleWriter, DiskSummary, ImageInfo
from cvmify.manifest.bootconfig import BootConfig, encode, parse_boot_config
from cvmify.manifest.overrides import parse_overrides
from cvmify.volume.registry import VolumeStore

runner = CliRunner()


@pytest.fixture
def state(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CVMIFY_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "state"


@pytest.fixture
def bundle(tmp_path) -> Path:
    """A bundle whose measured config allows volumes at /data and /srv/db."""
    root = bytes(range(48))
    config = encode(BootConfig(entrypoint="/hello", argv=["/hello"], env=[], cwd="/", uid=0, gid=0,
                               disk_root=root, tmpfs=["/tmp", "/data"],
                               allow_host_volumes=["/data", "/srv/db"]))
    target = tmp_path / "b.bundle"
    with BundleWriter(target) as w:
        w.write_bytes("kernel.elf", b"\x7fELF placeholder")
        w.write_bytes("config.bin", config)
        w.write_bytes("manifest.toml", b'[libos]\nentrypoint = "/hello"\n')
        w.write_bytes("rootfs.img", bytes(BLOCK_SIZE * 2))
        w.write_bytes("measurements.json", json.dumps({"format": "placeholder"}).encode())
        w.write_key(bytes(range(32)))
        w.commit(0, ImageInfo("docker-daemon:fake:latest", "sha256:" + "0" * 64, None, "linux/amd64"),
                 DiskSummary(BLOCK_SIZE, 1, root))
    return target


def dry_run(bundle: Path, *args: str):
    return runner.invoke(cli.app, ["run", str(bundle), "--accel", "tcg", "--dry-run", *args])


def test_policy_round_trips_through_config_bin(bundle):
    assert parse_boot_config((bundle / "config.bin").read_bytes()).allow_host_volumes == ["/data", "/srv/db"]


def test_dry_run_attaches_volumes_in_order(bundle, state):
    result = dry_run(bundle, "-v", "db:/srv/db:ro", "--mount", "source=data,target=/data")
    assert result.exit_code == 0, result.stderr
    argv = shlex.split(result.stdout.splitlines()[0])
    vols = state / "volumes"
    root = argv.index("-device", argv.index(f"file={bundle.absolute()}/rootfs.img,format=raw,if=none,readonly=on,id=root") )
    assert argv[root + 2:root + 10] == [
        "-drive", f"file={vols}/db/volume.img,format=raw,if=none,cache=writeback,readonly=on,id=vol0",
        "-device", "virtio-blk-device,drive=vol0",
        "-drive", f"file={vols}/data/volume.img,format=raw,if=none,cache=writeback,id=vol1",
        "-device", "virtio-blk-device,drive=vol1",
    ]
    fw = {a.split(",")[0]: a for a in argv if a.startswith("name=")}
    overrides = Path(fw["name=opt/cvmify/overrides"].split("file=")[1])
    keys = Path(fw["name=opt/cvmify/volume-keys"].split("file=")[1])
    records = parse_overrides(overrides.read_bytes()).volumes
    store = VolumeStore(state)
    assert [(r.target, r.read_only) for r in records] == [("/srv/db", True), ("/data", False)]
    for record, name in zip(records, ("db", "data")):
        volume = store.get(name)
        assert (record.generation, record.root) == (volume.record.state.generation, volume.record.state.root)
        assert record.uuid.hex() == volume.record.uuid
    assert keys.read_bytes() == store.read_key(store.get("db")) + store.read_key(store.get("data"))
    assert oct(keys.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("flags, message", [
    (("-v", "/srv:/data"), "bind mounts are not possible in a confidential VM"),
    (("--mount", "type=bind,source=/srv,target=/data"), "bind mounts are not possible"),
    (("-v", "xx:/etc"), "the bundle allows volumes at /data, /srv/db, not at /etc (manifest key fs.host_volumes"),
    (("-v", "xx:/data", "-v", "xx:/srv/db"), "named twice"),
    (("-v", "xx:/data", "--mode", "tdx-sim", "--kbs", "http://127.0.0.1:1"), "key broker"),
])
def test_refusals_exit_15_and_create_nothing(bundle, state, flags, message):
    result = dry_run(bundle, *flags)
    assert result.exit_code == 15, result.stderr
    assert message in result.stderr
    assert not (state / "volumes").exists() or not any((state / "volumes").iterdir())


def test_run_without_volumes_is_unchanged(bundle, state):
    argv = shlex.split(dry_run(bundle).stdout.splitlines()[0])
    assert not any("vol0" in a or "volume-keys" in a for a in argv)
