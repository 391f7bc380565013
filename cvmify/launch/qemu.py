"""The QEMU command line, built as data.

One function per mode turns a `VmSpec` into an argv list; nothing here
starts a process, so tests assert the exact argv. The machine follows
docs/boot-config.md: microvm, PVH `-kernel`, three UARTs, fw_cfg files,
one read-only virtio-blk disk over virtio-mmio, isa-debug-exit.

Consoles: COM1 is QEMU's stdio (the app's stdin and stdout); COM2 (stderr)
and COM3 (kernel log) are `file` chardevs whose path the caller picks:
`/dev/fd/N` for a pipe the runner reads, or `/dev/stderr` in the command
that `cvmify run --dry-run` prints. The control channel
(cvmify/launch/control.py) is a UART at 0x2e0 whose chardev is a `socket`
on an inherited, connected socket (`fd=N`), or `null` in a dry run; it is
the last device on every machine (control_args).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from cvmify.errors import UsageError
from cvmify.launch.ports import NetSpec

COM2_IOBASE, COM2_IRQ = 0x2F8, 3
COM3_IOBASE, COM3_IRQ = 0x3E8, 4
# The control channel: not COM4's 0x2e8, which is the key-release wire in
# the TD modes (cvmify/kbs/launch.py). IRQ 3 is shared with COM2 and COM4,
# which never enable interrupts. QEMU allows four ISA serial ports by
# index; with COM4 there are five, so this last one takes index 3 by hand
# (the index only picks default ports, which are given here).
CONTROL_IOBASE, CONTROL_IRQ, CONTROL_INDEX = 0x2E0, 3, 3
DEBUG_EXIT_IOBASE = 0xF4
# isa-debug-exit turns a guest write of v into QEMU exit status (v << 1) | 1.
EXIT_APP = (0x10 << 1) | 1  # 33: after the EXIT or KILLED message
EXIT_PANIC = (0x20 << 1) | 1  # 65: after the PANIC message

# microvm without firmware extras: no option ROMs, no ACPI, no PIC; the PIT
# stays for TSC calibration and the CMOS RTC for the wall clock at boot
# (docs/boot-config.md).
MACHINE = "microvm,x-option-roms=off,isa-serial=on,pit=on,pic=off,rtc=on,acpi=off"

_MEMORY_RE = re.compile(r"^([1-9][0-9]{0,6})([KMGT]?)$", re.IGNORECASE)
_MIN_MEMORY_MIB = 32
MAX_CPUS = 64


@dataclass(frozen=True)
class Accel:
    name: str  # "kvm" or "tcg"
    cpu: str  # the -cpu model
    option: str = ""  # the -accel value when it says more than the name

    def arg(self) -> str:
        return self.option or self.name


# Multi-threaded TCG: one host thread per vCPU, so `--cpus N` really runs
# in parallel (an x86 guest on an x86 host keeps its memory order).
TCG = Accel("tcg", "max", "tcg,thread=multi")
# arch-capabilities is hidden because nested KVM often cannot provide it.
KVM = Accel("kvm", "host,-arch-capabilities")


@dataclass(frozen=True)
class FwCfg:
    """One fw_cfg file: either the content of a host file or a short string."""

    name: str
    file: Path | None = None
    string: str | None = None

    def arg(self) -> str:
        if (self.file is None) == (self.string is None):
            raise ValueError(f"fw_cfg {self.name}: give exactly one of file, string")
        if self.file is not None:
            return f"name={self.name},file={escape(str(self.file))}"
        return f"name={self.name},string={escape(str(self.string))}"


@dataclass(frozen=True)
class Consoles:
    com2: str  # path QEMU opens for writing the app's stderr
    com3: str  # path QEMU opens for writing the kernel log
    control: str = "null"  # the control UART's chardev backend: "socket,fd=N" or "null"


@dataclass(frozen=True)
class VmSpec:
    kernel: Path
    memory: str  # normalized by parse_memory, e.g. "512M"
    cpus: int
    accel: Accel
    consoles: Consoles
    fw_cfg: tuple[FwCfg, ...] = ()
    disk: Path | None = None  # the root disk, attached read-only
    firmware: Path | None = None  # td.fd, for the td modes (cvmify/launch/tdx.py)
    kbs_socket: Path | None = None  # the key-release relay (cvmify/kbs/launch.py)
    volumes: tuple[tuple[Path, bool], ...] = ()  # persistent volumes: (file, read-only), in order
    network: NetSpec | None = None  # user networking (cvmify/launch/ports.py); None: no NIC


def escape(value: str) -> str:
    """QEMU option values use ',' as separator; a literal comma is ',,'."""
    return value.replace(",", ",,")


def parse_memory(text: str) -> str:
    """'512M', '1G', '2048' (MiB) -> normalized QEMU size; UsageError otherwise."""
    match = _MEMORY_RE.match(text.strip())
    if not match:
        raise UsageError(f"--memory {text!r}: expected a size like 512M or 2G")
    number, unit = int(match.group(1)), (match.group(2) or "M").upper()
    mib = {"K": number / 1024, "M": number, "G": number * 1024, "T": number * 1024 * 1024}[unit]
    if mib < _MIN_MEMORY_MIB:
        raise UsageError(f"--memory {text!r}: at least {_MIN_MEMORY_MIB}M is needed")
    return f"{number}{unit}"


def check_cpus(cpus: int) -> int:
    if not 1 <= cpus <= MAX_CPUS:
        raise UsageError(f"--cpus {cpus}: expected 1..{MAX_CPUS}")
    return cpus


def console_args(consoles: Consoles) -> list[str]:
    """The three UARTs and isa-debug-exit, the same on every machine."""
    return [
        "-chardev", "stdio,id=com1",
        "-serial", "chardev:com1",
        "-chardev", f"file,id=com2,path={escape(consoles.com2)},append=on",
        "-device", f"isa-serial,chardev=com2,iobase={COM2_IOBASE:#x},irq={COM2_IRQ}",
        "-chardev", f"file,id=com3,path={escape(consoles.com3)},append=on",
        "-device", f"isa-serial,chardev=com3,iobase={COM3_IOBASE:#x},irq={COM3_IRQ}",
        "-device", f"isa-debug-exit,iobase={DEBUG_EXIT_IOBASE:#x},iosize=4",
    ]


def control_args(consoles: Consoles) -> list[str]:
    """The control channel's UART: the last device of every machine."""
    return [
        "-chardev", f"{consoles.control},id=control",
        "-device", f"isa-serial,chardev=control,iobase={CONTROL_IOBASE:#x},irq={CONTROL_IRQ},"
                   f"index={CONTROL_INDEX}",
    ]


def volume_args(spec: VmSpec, device: str) -> list[str]:
    """One writable (or read-only) virtio-blk disk per volume, after the
    root disk, in the order of the VOLUME records (docs/boot-config.md)."""
    argv: list[str] = []
    for i, (path, read_only) in enumerate(spec.volumes):
        ro = ",readonly=on" if read_only else ""
        argv += ["-drive", f"file={escape(str(path))},format=raw,if=none,cache=writeback{ro},id=vol{i}",
                 "-device", f"{device},drive=vol{i}"]
    return argv


def vm_argv(qemu: str, spec: VmSpec) -> list[str]:
    """The full QEMU argv for VM mode (the disk key travels by fw_cfg)."""
    argv = [
        qemu,
        "-M", MACHINE,
        "-accel", spec.accel.arg(),
        "-cpu", spec.accel.cpu,
        "-m", spec.memory,
        "-smp", str(spec.cpus),
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-kernel", str(spec.kernel),  # a plain path: not comma-parsed
        *console_args(spec.consoles),
    ]
    if spec.disk is not None:
        argv += [
            "-global", "virtio-mmio.force-legacy=false",
            "-drive", f"file={escape(str(spec.disk))},format=raw,if=none,readonly=on,id=root",
            "-device", "virtio-blk-device,drive=root",
        ]
    argv += volume_args(spec, "virtio-blk-device")
    if spec.network is not None:
        argv += ["-netdev", spec.network.netdev_arg("net0"),
                 "-device", "virtio-net-device,netdev=net0"]
    for item in spec.fw_cfg:
        argv += ["-fw_cfg", item.arg()]
    return argv + control_args(spec.consoles)


# Modes that boot td.fd (cvmify/launch/tdx.py): as a plain q35 VM with the
# development key (td-vm) or with simulated attestation and a key broker
# (tdx-sim), or as a TD (tdx).
TD_MODES = ("td-vm", "tdx-sim", "tdx")
MODES = ("vm", *TD_MODES)


def build_argv(mode: str, qemu: str, spec: VmSpec) -> list[str]:
    if mode == "vm":
        return vm_argv(qemu, spec)
    if mode in TD_MODES:
        from cvmify.launch.tdx import td_argv

        return td_argv(mode, qemu, spec)
    raise UsageError(f"--mode {mode!r}: expected one of {', '.join(MODES)}")


def shell_line(argv: list[str]) -> str:
    """The argv as one line a POSIX shell reads back to the same list."""
    return shlex.join(argv)
