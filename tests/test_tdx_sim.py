"""Simulated attestation end to end (`cvmify run --mode tdx-sim`): td.fd
boots as a plain q35 VM without any disk key from the host; the kernel's
simulated TDX module measures, the relay's simulated quoting enclave signs
with the development key, `cvmify kbs serve` checks the quote against the
bundle and releases the disk key wrapped to the guest's ephemeral key; the
disk unlocks and the app runs. A changed kernel, config or disk is
refused the key, and so is any simulated quote without --allow-simulated.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cvmify.tdx import eventlog
from cvmify.tdx.tdvf import parse_td_fd
from tests.guest import REPO_ROOT, cvmify

SECRET_SCRIPT = ("echo disk unlocked; cat /dev/attestation/attestation_type; "
                 "od -A n -t x1 -v /dev/attestation/eventlog; exit 0")
EXIT_GUEST_FAILURE = 12


class Broker:
    """`cvmify kbs serve` in a subprocess on a free port."""

    def __init__(self, tmp_path: Path, *args: str):
        self.err = tmp_path / "kbs.err"
        self.proc = subprocess.Popen([sys.executable, "-m", "cvmify", "-v", "kbs", "serve", *args],
                                     stdout=subprocess.PIPE, stderr=open(self.err, "w"), text=True, cwd=REPO_ROOT)
        line = self.proc.stdout.readline()
        assert "listening on http://" in line, self.err.read_text()
        self.url = line.split("listening on ", 1)[1].strip()

    def log(self) -> str:
        return self.err.read_text()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def xdg_cache(tmp_path, monkeypatch):
    """A private simulated quoting key for this test (relay and broker share it)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def bundles(busybox_image, kernel, tmp_path_factory):
    """Bundles of one image: `good` and `other_config` share their disk
    (same key, same epoch) and differ only in config.bin; `other_disk` has
    good's config but another key, hence another disk and disk root."""
    base = tmp_path_factory.mktemp("sim")
    made = {}
    for name, script, key_hex in (("good", SECRET_SCRIPT, "3c"), ("other_config", "echo other; exit 0", "3c"),
                                  ("other_disk", SECRET_SCRIPT, "4d")):
        key = base / f"{name}.key"
        key.write_text(key_hex * 32 + "\n")
        out = base / name
        out.mkdir()
        manifest = out / "manifest.toml"
        manifest.write_text(f'[loader]\nargv = ["/bin/sh", "-c", "{script}"]\n')
        built = subprocess.run([sys.executable, "-m", "cvmify", "build", f"docker-daemon:{busybox_image}",
                                "-o", str(out / "bundle"), "--manifest", str(manifest), "--kernel", str(kernel),
                                "--key", str(key)], capture_output=True, text=True, cwd=REPO_ROOT,
                               env={**__import__("os").environ, "SOURCE_DATE_EPOCH": "1700000000"})
        assert built.returncode == 0, built.stderr
        made[name] = out / "bundle"
    return made


def run_sim(bundle: Path, url: str):
    return cvmify("-v", "run", str(bundle), "--mode", "tdx-sim", "--accel", "tcg", "--kbs", url)


def run_with_broker(tmp_path: Path, bundle: Path, served: Path, *broker_args: str):
    """Run `bundle` against a broker serving `served`; (run, broker log)."""
    broker = Broker(tmp_path, "--bundle", str(served), *broker_args)
    try:
        return run_sim(bundle, broker.url), broker.log()
    finally:
        broker.stop()


def copy_bundle(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_key_released_and_app_runs(bundles, tmp_path, xdg_cache):
    run, log = run_with_broker(tmp_path, bundles["good"], bundles["good"], "--allow-simulated")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "disk unlocked" and lines[1] == "tdx-simulated"
    assert "SIMULATED" in run.stderr  # the run says it is not confidential
    assert "attested (simulated, TCB Simulated)" in log
    # The app reads the kernel's event log; it replays to the bundle's RTMRs.
    events = eventlog.parse_event_log(bytes.fromhex("".join(lines[2:])))
    assert [e.data for e in events] == [b"cvmify:config", b"cvmify:disk-root"]
    expected = json.loads(cvmify("measure", str(bundles["good"]), "--json").stdout)["result"]["measurements"]["tdx"]
    assert [r.hex() for r in eventlog.replay(events)] == [expected[f"rtmr{i}"] for i in range(4)]


def test_changed_config_refused(bundles, tmp_path, xdg_cache):
    # Same disk root (same image, key and epoch), different argv: MRTD differs.
    run, log = run_with_broker(tmp_path, bundles["other_config"], bundles["good"], "--allow-simulated")
    assert run.returncode == EXIT_GUEST_FAILURE
    assert "other" not in run.stdout
    assert "key broker refused" in run.stderr and "MRTD" in run.stderr
    assert "quote refused" in log


def test_changed_kernel_refused(bundles, tmp_path, xdg_cache):
    # One byte of the kernel's rodata changed (its boot banner): it still
    # boots, but MRTD no longer matches the bundle the broker serves.
    bundle = copy_bundle(bundles["good"], tmp_path / "patched")
    image = bytearray((bundle / "td.fd").read_bytes())
    kernel = parse_td_fd(bytes(image)).sections[1]
    body = image[kernel.data_offset:kernel.data_offset + kernel.raw_size]
    at = kernel.data_offset + body.index(b"cvmify kernel: booting")
    image[at:at + 6] = b"CVMIFY"
    (bundle / "td.fd").write_bytes(bytes(image))
    run, log = run_with_broker(tmp_path, bundle, bundles["good"], "--allow-simulated")
    assert run.returncode == EXIT_GUEST_FAILURE
    assert "CVMIFY kernel: booting" in run.stderr  # the patched kernel ran...
    assert "key broker refused" in run.stderr and "MRTD" in run.stderr  # ...and got no key
    assert "disk unlocked" not in run.stdout


def test_changed_disk_never_asks(bundles, tmp_path, xdg_cache):
    # Another disk under the good config: the kernel refuses the disk
    # before it asks for a key; the broker never sees an attestation.
    bundle = copy_bundle(bundles["good"], tmp_path / "swapped")
    (bundle / "rootfs.img").unlink()
    shutil.copyfile(bundles["other_disk"] / "rootfs.img", bundle / "rootfs.img")
    run, log = run_with_broker(tmp_path, bundle, bundles["good"], "--allow-simulated")
    assert run.returncode == EXIT_GUEST_FAILURE
    assert "disk root does not match" in run.stderr
    assert "attested" not in log and "refused" not in log


def test_unknown_disk_refused(bundles, tmp_path, xdg_cache):
    # A broker that serves only another disk has no key for this one.
    run, log = run_with_broker(tmp_path, bundles["good"], bundles["other_disk"], "--allow-simulated")
    assert run.returncode == EXIT_GUEST_FAILURE
    assert "no key for this disk root" in run.stderr


def test_simulated_quote_refused_without_allow_simulated(bundles, tmp_path, xdg_cache):
    run, log = run_with_broker(tmp_path, bundles["good"], bundles["good"])
    assert run.returncode == EXIT_GUEST_FAILURE
    assert "SIMULATED quote" in run.stderr
    assert "disk unlocked" not in run.stdout


def test_broker_unreachable(bundles, tmp_path, xdg_cache):
    run = run_sim(bundles["good"], "http://127.0.0.1:9")
    assert run.returncode == EXIT_GUEST_FAILURE
    assert "key broker unreachable" in run.stderr


# -- a bundle without a development key (a TDX bundle) ---------------------------


def test_bundle_without_dev_key(busybox_image, kernel, tmp_path, xdg_cache):
    manifest = tmp_path / "m.toml"
    manifest.write_text('[loader]\nargv = ["/bin/sh", "-c", "echo keyless; exit 0"]\n')
    bundle, key_out = tmp_path / "keyless", tmp_path / "keyless.key"
    base = ("build", f"docker-daemon:{busybox_image}", "--manifest", str(manifest), "--kernel", str(kernel))
    refused = cvmify(*base, "-o", str(bundle), "--no-dev-key")
    assert refused.returncode == 2 and "--key-out" in refused.stderr and not bundle.exists()
    built = cvmify(*base, "-o", str(bundle), "--no-dev-key", "--key-out", str(key_out))
    assert built.returncode == 0, built.stderr
    assert not (bundle / "disk-key.dev").exists()
    assert json.loads((bundle / "bundle.json").read_text())["key"] == {"file": None, "released_by": "key-broker"}
    assert key_out.stat().st_mode & 0o777 == 0o600 and len(key_out.read_text().strip()) == 64
    assert cvmify(*base, "-o", str(tmp_path / "again"), "--no-dev-key", "--key-out", str(key_out)).returncode == 2

    assert cvmify("measure", str(bundle)).returncode == 0
    verify = cvmify("inspect", str(bundle), "--verify")
    assert verify.returncode == 0 and "no development key" in verify.stderr
    vm = cvmify("run", str(bundle), "--accel", "tcg")
    assert vm.returncode == 10 and "no development key" in vm.stderr
    no_key = cvmify("kbs", "serve", "--bundle", str(bundle))
    assert no_key.returncode == 10 and "key broker" in no_key.stderr

    run, log = run_with_broker(tmp_path, bundle, bundle, "--key", str(key_out), "--allow-simulated")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "keyless"
