"""Persistent volumes end to end: `cvmify run -v NAME:/path` boots the
real kernel under QEMU with the volume as a second virtio-blk disk.

What must hold (issue 8): a volume survives a second run; what was
fsync'ed survives QEMU being killed; a volume killed before (or during)
a commit is still consistent, in its previous state; a rolled-back or
tampered volume is refused with a clear error; a full volume gives
ENOSPC; a fresh volume takes the image directory's owner and content,
as docker fills a new named volume.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cvmify.volume.fs import VolumeFS
from cvmify.volume.registry import VolumeStore
from cvmify.volume.store import open_volume
from tests.guest import REPO_ROOT, RUN_TIMEOUT, build_bundle

pytestmark = [pytest.mark.qemu, pytest.mark.docker, pytest.mark.slow]

SHELL = {"loader": {"argv": ["/bin/sh", "-c", "exit 3"], "insecure__use_cmdline_argv": True},
         "fs": {"host_volumes": ["/data", "/etc"]}}


@pytest.fixture(scope="module")
def bundle(busybox_image, kernel, tmp_path_factory) -> Path:
    return build_bundle(busybox_image, kernel, tmp_path_factory.mktemp("vol"), SHELL)


@pytest.fixture
def state(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CVMIFY_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def cvmify_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "cvmify", *args]


def sh(bundle: Path, script: str, *flags: str) -> subprocess.CompletedProcess:
    """`cvmify run BUNDLE FLAGS -- -c SCRIPT` (busybox sh in the guest)."""
    return subprocess.run(cvmify_argv("run", str(bundle), "--accel", "tcg", *flags, "--", "-c", script),
                          capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=REPO_ROOT)


def volume_files(state: Path, name: str) -> VolumeFS:
    store = VolumeStore(state)
    volume = store.get(name)
    vol = open_volume(volume.image, store.read_key(volume), volume.record.state)
    return VolumeFS(vol)


def qemu_child(pid: int, deadline: float) -> int:
    """The QEMU process `cvmify run` (pid) started."""
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and "qemu" in stat.split("(", 1)[1].split(")")[0]:
                return int(entry.name)
        time.sleep(0.1)
    raise AssertionError("cvmify run started no QEMU")


def run_then_kill_qemu(bundle: Path, script: str, marker: str, settle: float = 0.0) -> str:
    """Run script; when its stdout shows marker (and settle seconds more),
    SIGKILL the QEMU process, as a crash or `kill -9` would. Returns the
    app's stdout."""
    proc = subprocess.Popen(cvmify_argv("run", str(bundle), "--accel", "tcg", "-v", "data:/data",
                                        "--", "-c", script),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    deadline = time.monotonic() + RUN_TIMEOUT
    qemu = qemu_child(proc.pid, deadline)
    out = ""
    while marker not in out:
        line = proc.stdout.readline()
        assert line, f"the app ended before {marker!r}: {out}{proc.stderr.read()}"
        out += line
    time.sleep(settle)
    os.kill(qemu, signal.SIGKILL)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 12, err  # guest failure: QEMU died without a status
    return out + rest


def test_a_volume_survives_a_second_run(bundle, state):
    first = sh(bundle, "echo one > /data/f && mkdir /data/d && echo two > /data/d/g && "
               "ln -s f /data/l && echo ok", "-v", "data:/data")
    assert first.returncode == 0 and first.stdout == "ok\n", first.stderr
    second = sh(bundle, "cat /data/f /data/d/g /data/l && ls -1 /data", "-v", "data:/data")
    assert second.returncode == 0, second.stderr
    assert second.stdout == "one\ntwo\none\nd\nf\nl\n"
    with volume_files(state, "data").vol as vol:  # and the host reads the same
        fs = VolumeFS(vol)
        assert fs.read_file("/d/g") == b"two\n" and fs.listdir("/") == ["d", "f", "l"]
    listed = subprocess.run(cvmify_argv("volume", "ls"), capture_output=True, text=True, cwd=REPO_ROOT)
    assert "data" in listed.stdout


def test_a_volume_moves_between_td_vm_and_vm(bundle, state):
    """td.fd's kernel (booted as a plain VM: virtio-blk over virtio-pci,
    the development key from fw_cfg) writes and reads the same volumes as
    the microvm kernel, in both directions."""
    first = sh(bundle, "echo from-td-vm > /data/a && echo ok", "--mode", "td-vm", "-v", "data:/data")
    assert first.returncode == 0 and first.stdout == "ok\n", first.stdout + first.stderr
    second = sh(bundle, "cat /data/a && echo from-vm > /data/b", "-v", "data:/data")
    assert second.returncode == 0 and second.stdout == "from-td-vm\n", second.stdout + second.stderr
    third = sh(bundle, "cat /data/a /data/b && ls -1 /data", "--mode", "td-vm", "-v", "data:/data")
    assert third.returncode == 0, third.stdout + third.stderr
    assert third.stdout == "from-td-vm\nfrom-vm\na\nb\n"


def test_fsynced_data_survives_a_killed_qemu(bundle, state):
    run_then_kill_qemu(bundle, "echo durable > /data/a; sync; echo synced; "
                       "echo lost > /data/b; sleep 1000", "synced")
    after = sh(bundle, "cat /data/a; ls -1 /data", "-v", "data:/data")
    assert after.returncode == 0, after.stderr
    assert after.stdout == "durable\na\n"  # b was never committed: gone, cleanly


def test_a_volume_killed_mid_write_opens_in_its_previous_state(bundle, state):
    base = sh(bundle, "echo base > /data/base", "-v", "data:/data")
    assert base.returncode == 0, base.stderr
    # commits as fast as the guest can, killed at an arbitrary point of one
    run_then_kill_qemu(bundle, "echo go; i=0; while true; do i=$((i+1)); echo $i > /data/n; "
                       "dd if=/dev/zero of=/data/blob bs=4096 count=$((i % 50)) 2>/dev/null; sync; done",
                       "go", settle=3.0)
    after = sh(bundle, "cat /data/base; cat /data/n", "-v", "data:/data")
    assert after.returncode == 0, after.stderr
    lines = after.stdout.split()
    assert lines[0] == "base" and int(lines[1]) >= 1
    checked = subprocess.run(cvmify_argv("volume", "inspect", "data", "--verify"), capture_output=True,
                             text=True, cwd=REPO_ROOT)
    assert checked.returncode == 0, checked.stderr


def test_rolled_back_and_tampered_volumes_are_refused(bundle, state):
    assert sh(bundle, "echo v1 > /data/f", "-v", "data:/data").returncode == 0
    image = VolumeStore(state).get("data").image
    old = image.read_bytes()
    assert sh(bundle, "echo v2 > /data/f", "-v", "data:/data").returncode == 0
    newest = image.read_bytes()
    image.write_bytes(old)  # the host hands back yesterday's copy
    refused = sh(bundle, "cat /data/f", "-v", "data:/data")
    assert refused.returncode == 7
    assert "cvmify: error: volume data was rolled back" in refused.stderr
    assert refused.stdout == ""  # nothing booted
    # a flipped byte in a file's data block: the guest's read fails, and
    # `volume inspect --verify` names the block
    image.write_bytes(newest)
    store = VolumeStore(state)
    with open_volume(image, store.read_key(store.get("data")), store.get("data").record.state) as vol:
        data_block = vol.inode(VolumeFS(vol).lookup("/f")).root.block
    raw = bytearray(newest)
    raw[data_block * 4096 + 1] ^= 1
    image.write_bytes(bytes(raw))
    tampered = sh(bundle, "cat /data/f; echo status=$?", "-v", "data:/data")
    assert "Input/output error" in tampered.stderr and "status=1" in tampered.stdout
    verify = subprocess.run(cvmify_argv("volume", "inspect", "data", "--verify"), capture_output=True,
                            text=True, cwd=REPO_ROOT)
    assert verify.returncode == 7 and "failed authentication" in verify.stderr
    # a flipped header byte: no valid state at all
    raw = bytearray(newest)
    raw[100] ^= 1
    raw[4096 + 100] ^= 1
    image.write_bytes(bytes(raw))
    header = sh(bundle, "true", "-v", "data:/data")
    assert header.returncode == 7 and "no valid header" in header.stderr


def test_a_full_volume_gives_enospc_and_recovers(bundle, state):
    created = subprocess.run(cvmify_argv("volume", "create", "small", "--size", "1M"), capture_output=True,
                             text=True, cwd=REPO_ROOT)
    assert created.returncode == 0, created.stderr
    full = sh(bundle, "dd if=/dev/zero of=/data/fill bs=4096 count=1000; echo dd=$?; "
              "df -k /data | tail -1", "-v", "small:/data")
    assert full.returncode == 0, full.stderr
    assert "No space left on device" in full.stderr and "dd=1" in full.stdout
    again = sh(bundle, "ls -l /data/fill | awk '{print $5}'; rm /data/fill; sync; "
               "dd if=/dev/zero of=/data/fill bs=4096 count=100 2>/dev/null; echo dd=$?",
               "-v", "small:/data")
    assert again.returncode == 0, again.stderr
    kept, status = again.stdout.split()
    assert 600 * 1024 < int(kept) < 1024 * 1024 and status == "dd=0"


def test_a_fresh_volume_takes_the_image_directory(bundle, state):
    first = sh(bundle, "cat /etc/hostname-note 2>/dev/null; ls -1 /etc | head -3; echo note > /etc/hostname-note",
               "-v", "etc:/etc")
    assert first.returncode == 0, first.stderr
    image_etc = sh(bundle, "ls -1 /etc | head -3").stdout  # the image's own /etc, no volume
    assert first.stdout == image_etc
    second = sh(bundle, "cat /etc/hostname-note", "-v", "etc:/etc")
    assert second.stdout == "note\n"
    assert "hostname-note" not in sh(bundle, "ls -1 /etc").stdout  # the image is untouched


def test_nonroot_app_owns_its_fresh_volume(nonroot_image, kernel, tmp_path, state):
    """docker copies the owner of the image's directory to a new volume:
    an app running as uid 1000 can write to its own home on a volume."""
    manifest = {"loader": {"argv": ["/bin/sh", "-c", "id -u; echo x > /home/app/mine && ls -ln /home/app"]},
                "fs": {"host_volumes": ["/home/app"]}}
    bundle = build_bundle(nonroot_image, kernel, tmp_path, manifest)
    result = subprocess.run(cvmify_argv("run", str(bundle), "--accel", "tcg", "-v", "home:/home/app"),
                            capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "1000"
    assert any(line.split()[2:4] == ["1000", "1000"] and line.endswith("mine") for line in lines)


def test_volume_in_use_by_a_running_container(bundle, state):
    proc = subprocess.Popen(cvmify_argv("run", str(bundle), "--accel", "tcg", "-v", "data:/data",
                                        "--", "-c", "echo up; sleep 1000"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    try:
        assert proc.stdout.readline() == "up\n"
        second = sh(bundle, "true", "-v", "data:/data")
        assert second.returncode == 15 and "in use by a running container" in second.stderr
        removed = subprocess.run(cvmify_argv("volume", "rm", "data"), capture_output=True, text=True, cwd=REPO_ROOT)
        assert removed.returncode == 15
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def test_a_volume_larger_than_memory(bundle, state):
    """120 MiB through a 96 MiB guest: writes commit when changes pass 1/8
    of memory, and clean pages are given back under memory pressure."""
    import hashlib

    expected = hashlib.md5(bytes(120 << 20)).hexdigest()
    wrote = sh(bundle, "dd if=/dev/zero of=/data/big bs=1M count=120 2>/dev/null && md5sum /data/big",
               "--memory", "96M", "-v", "data:/data")
    assert wrote.returncode == 0, wrote.stderr
    assert wrote.stdout.split()[0] == expected
    read = sh(bundle, "md5sum /data/big", "--memory", "96M", "-v", "data:/data")
    assert read.returncode == 0, read.stderr
    assert read.stdout.split()[0] == expected


def test_an_image_volume_is_tmpfs_unless_named(script_image, kernel, tmp_path, state):
    """The image declares VOLUME /data: the inferred manifest allows a
    volume there; unnamed it is a tmpfs (gone after the run), named it is
    the persistent volume."""
    manifest = {"libos": {"entrypoint": "/bin/sh"},
                "loader": {"argv": ["/bin/sh", "-c", "exit 3"], "insecure__use_cmdline_argv": True}}
    bundle = build_bundle(script_image, kernel, tmp_path, manifest)
    script = "grep ' /data ' /proc/mounts | cut -d' ' -f3; cat /data/kept 2>/dev/null; echo kept > /data/kept"
    assert sh(bundle, script).stdout == "tmpfs\n"
    assert sh(bundle, script).stdout == "tmpfs\n"  # nothing kept
    assert sh(bundle, script, "-v", "img:/data").stdout == "volfs\n"
    assert sh(bundle, script, "-v", "img:/data").stdout == "volfs\nkept\n"
