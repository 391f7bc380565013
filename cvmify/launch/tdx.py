"""QEMU command lines for td.fd, built as data: as an Intel TDX trust
domain (upstream QEMU 10.1+, KVM TDX from Linux 6.16) and as a plain q35
VM (this machine's QEMU), plus the host check a TD needs first.

TD (`--mode tdx`), from QEMU's docs/system/i386/tdx.rst:
    -accel kvm -cpu host
    -object '{"qom-type":"tdx-guest","id":"tdx0","quote-generation-socket":...}'
    -machine q35,kernel-irqchip=split,confidential-guest-support=tdx0
    -bios td.fd
TDX needs KVM, a split irqchip and no -kernel; the TDX module and QEMU's
defaults give SEPT_VE_DISABLE on and DEBUG off, which the verifier
checks. Devices are the same in both: three UARTs, fw_cfg, isa-debug-exit,
virtio-blk over PCI (modern only; with ACCESS_PLATFORM in a TD).

Never run: no TDX host was reachable (docs/tdx.md); the tests assert the
argv and the host check's refusals.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cvmify.errors import LaunchError
from cvmify.launch.qemu import VmSpec, console_args, control_args, escape, volume_args

MIN_QEMU_TDX = (10, 1)
KVM_CHECK_EXTENSION = 0xAE03  # _IO(KVMIO 0xae, 0x03)
KVM_CAP_VM_TYPES = 235
KVM_X86_TDX_VM = 5
# Intel's quote generation service listens on vsock CID 2 (the host), port
# 4050 by default (QEMU docs, "quote-generation-socket").
DEFAULT_QGS = {"type": "vsock", "cid": "2", "port": "4050"}

# td.fd as a plain VM: q35 without firmware extras; the kernel polls.
Q35_MACHINE = "q35,smm=off,vmport=off"
TDX_MACHINE = "q35,kernel-irqchip=split,confidential-guest-support=tdx0,smm=off,vmport=off"


@dataclass(frozen=True)
class HostReport:
    """What the TD host check found (every missing piece is named)."""

    kvm: bool
    tdx_vm_type: bool
    qemu_version: tuple[int, int] | None
    tdx_guest_object: bool

    def missing(self) -> list[str]:
        out = []
        if not self.kvm:
            out.append("/dev/kvm is not usable")
        elif not self.tdx_vm_type:
            out.append("KVM does not offer the TDX VM type (KVM_CAP_VM_TYPES lacks KVM_X86_TDX_VM: "
                       "needs Linux 6.16+ with TDX enabled in the BIOS and kvm_intel.tdx=1)")
        if self.qemu_version is None or self.qemu_version < MIN_QEMU_TDX:
            have = "unknown" if self.qemu_version is None else "%d.%d" % self.qemu_version
            out.append(f"QEMU {have} is older than {MIN_QEMU_TDX[0]}.{MIN_QEMU_TDX[1]}")
        elif not self.tdx_guest_object:
            out.append("QEMU has no tdx-guest object (built without TDX support)")
        return out


def kvm_vm_types(device: Path = Path("/dev/kvm")) -> int | None:
    """KVM_CHECK_EXTENSION(KVM_CAP_VM_TYPES) on /dev/kvm: a bit mask of VM
    types, 0 if the capability is unknown, None if /dev/kvm cannot be opened."""
    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return fcntl.ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES)
    except OSError as e:
        return 0 if e.errno in (errno.EINVAL, errno.ENOTTY) else None
    finally:
        os.close(fd)


def parse_qemu_version(text: str) -> tuple[int, int] | None:
    match = re.search(r"version (\d+)\.(\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def probe_host(qemu: str, device: Path = Path("/dev/kvm")) -> HostReport:
    types = kvm_vm_types(device)
    try:
        version = subprocess.run([qemu, "--version"], capture_output=True, text=True, timeout=30).stdout
        objects = subprocess.run([qemu, "-object", "help"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        version, objects = "", ""
    return HostReport(
        kvm=types is not None,
        tdx_vm_type=bool(types and types & (1 << KVM_X86_TDX_VM)),
        qemu_version=parse_qemu_version(version),
        tdx_guest_object=any(line.strip() == "tdx-guest" for line in objects.splitlines()),
    )


def check_tdx_host(report: HostReport) -> None:
    missing = report.missing()
    if missing:
        raise LaunchError("this host cannot run a TD: " + "; ".join(missing))


def _devices(spec: VmSpec, td: bool) -> list[str]:
    argv = [
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-bios", str(spec.firmware),
        *console_args(spec.consoles),
    ]
    access = ",iommu_platform=on" if td else ""
    if spec.disk is not None:
        argv += [
            "-drive", f"file={escape(str(spec.disk))},format=raw,if=none,readonly=on,id=root",
            "-device", f"virtio-blk-pci,drive=root,disable-legacy=on{access}",
        ]
    argv += volume_args(spec, f"virtio-blk-pci,disable-legacy=on{access}")
    if spec.network is not None:
        argv += ["-netdev", spec.network.netdev_arg("net0"),
                 "-device", f"virtio-net-pci,netdev=net0,disable-legacy=on{access}"]
    if spec.kbs_socket is not None:
        from cvmify.kbs.launch import kbs_device_args

        argv += kbs_device_args(spec.kbs_socket)
    for item in spec.fw_cfg:
        argv += ["-fw_cfg", item.arg()]
    return argv + control_args(spec.consoles)


def q35_argv(qemu: str, spec: VmSpec) -> list[str]:
    """td.fd as a plain VM: QEMU maps it as ROM; the stub copies the rest."""
    return [qemu, "-M", Q35_MACHINE, "-accel", spec.accel.name, "-cpu", spec.accel.cpu,
            "-m", spec.memory, "-smp", str(spec.cpus)] + _devices(spec, td=False)


def tdx_guest_object(qgs: dict[str, str] | None = DEFAULT_QGS) -> str:
    obj: dict = {"qom-type": "tdx-guest", "id": "tdx0"}
    if qgs is not None:
        obj["quote-generation-socket"] = qgs
    return json.dumps(obj, separators=(",", ":"))


def tdx_argv(qemu: str, spec: VmSpec) -> list[str]:
    """td.fd as a trust domain (upstream QEMU TDX)."""
    return [qemu, "-accel", "kvm", "-cpu", "host", "-object", tdx_guest_object(),
            "-machine", TDX_MACHINE, "-m", spec.memory, "-smp", str(spec.cpus)] + _devices(spec, td=True)


def td_argv(mode: str, qemu: str, spec: VmSpec) -> list[str]:
    return tdx_argv(qemu, spec) if mode == "tdx" else q35_argv(qemu, spec)
