"""`cvmify run --mode tdx|td-vm`: the QEMU command lines for td.fd and the
TD host check. No TDX host is reachable: the TD argv is asserted, and on
this machine (QEMU 7.2, no TDX) the check must name what is missing."""

from __future__ import annotations

import json
import shlex

import pytest

from cvmify.launch.tdx import (
    KVM_X86_TDX_VM, HostReport, check_tdx_host, kvm_vm_types, parse_qemu_version, tdx_guest_object,
)
from cvmify.errors import LaunchError
from tests.guest import build_bundle, cvmify, program


@pytest.fixture(scope="module")
def td_bundle(busybox_image, kernel, tmp_path_factory):
    return build_bundle(busybox_image, kernel, tmp_path_factory.mktemp("td"), program("/bin/true"))


def dry_run(bundle, *args):
    out = cvmify("run", str(bundle), "--dry-run", *args)
    assert out.returncode == 0, out.stderr
    return shlex.split(out.stdout.strip()), out.stderr


def option(argv: list[str], name: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == name]


KBS = "http://127.0.0.1:9"


def test_tdx_argv(td_bundle):
    argv, stderr = dry_run(td_bundle, "--mode", "tdx", "--kbs", KBS)
    assert argv[argv.index("-accel") + 1] == "kvm" and argv[argv.index("-cpu") + 1] == "host"
    machine = argv[argv.index("-machine") + 1].split(",")
    assert machine[0] == "q35" and "kernel-irqchip=split" in machine
    assert "confidential-guest-support=tdx0" in machine
    obj = json.loads(argv[argv.index("-object") + 1])
    assert obj["qom-type"] == "tdx-guest" and obj["id"] == "tdx0"
    assert obj["quote-generation-socket"] == {"type": "vsock", "cid": "2", "port": "4050"}
    assert argv[argv.index("-bios") + 1] == str((td_bundle / "td.fd").absolute())
    assert "-kernel" not in argv
    fw_cfg = option(argv, "-fw_cfg")
    assert not any("disk-key" in f or "opt/cvmify/config" in f for f in fw_cfg), "a TD gets no key from the host"
    devices = option(argv, "-device")
    assert any(d.startswith("virtio-blk-pci,") and "iommu_platform=on" in d and "disable-legacy=on" in d
               for d in devices)
    chardevs = option(argv, "-chardev")
    kbs = next(c for c in chardevs if c.startswith("socket,id=kbs,path="))
    assert kbs.endswith("/kbs.sock")
    assert any(d.startswith("isa-serial,chardev=kbs,iobase=0x2e8") for d in devices)
    assert "this host cannot run a TD" in stderr  # dry run: printed, not refused


def test_attested_modes_need_a_broker(td_bundle):
    for mode in ("tdx", "tdx-sim"):
        out = cvmify("run", str(td_bundle), "--mode", mode, "--dry-run")
        assert out.returncode == 2 and "--kbs" in out.stderr
    out = cvmify("run", str(td_bundle), "--mode", "td-vm", "--kbs", KBS, "--dry-run")
    assert out.returncode == 2


def test_tdx_run_refused_naming_what_is_missing(td_bundle):
    out = cvmify("run", str(td_bundle), "--mode", "tdx", "--kbs", KBS)
    assert out.returncode == 11
    assert out.stderr.startswith("cvmify: error: this host cannot run a TD: ")
    assert "QEMU 7.2 is older than 10.1" in out.stderr


def test_td_vm_argv(td_bundle):
    argv, stderr = dry_run(td_bundle, "--mode", "td-vm", "--accel", "tcg")
    assert argv[argv.index("-M") + 1].startswith("q35")
    assert argv[argv.index("-bios") + 1].endswith("/td.fd")
    fw_cfg = option(argv, "-fw_cfg")
    assert any(f.startswith("name=opt/cvmify/disk-key,") for f in fw_cfg)
    assert not any(f.startswith("name=opt/cvmify/config,") for f in fw_cfg), "the config is in td.fd"
    assert any(d.startswith("virtio-blk-pci,") and "iommu_platform" not in d for d in option(argv, "-device"))
    assert "development disk key" in stderr


def test_host_report_names_each_missing_piece():
    good = HostReport(kvm=True, tdx_vm_type=True, qemu_version=(10, 1), tdx_guest_object=True)
    assert good.missing() == []
    check_tdx_host(good)
    cases = [
        (HostReport(False, False, (10, 1), True), "/dev/kvm"),
        (HostReport(True, False, (10, 2), True), "TDX VM type"),
        (HostReport(True, True, (9, 2), True), "QEMU 9.2 is older than 10.1"),
        (HostReport(True, True, None, False), "QEMU unknown"),
        (HostReport(True, True, (10, 1), False), "tdx-guest"),
    ]
    for report, text in cases:
        with pytest.raises(LaunchError, match=text):
            check_tdx_host(report)


def test_probes():
    assert parse_qemu_version("QEMU emulator version 10.1.0 (Debian)") == (10, 1)
    assert parse_qemu_version("nonsense") is None
    assert KVM_X86_TDX_VM == 5
    # Here /dev/kvm is absent or nested; whatever it says, it is not a TDX host.
    types = kvm_vm_types()
    assert types is None or not types & (1 << KVM_X86_TDX_VM)
    assert json.loads(tdx_guest_object(None)) == {"qom-type": "tdx-guest", "id": "tdx0"}
