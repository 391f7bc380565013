"""Running the real kernel in tests, two ways.

- Directly under QEMU/TCG on the microvm machine of docs/boot-config.md:
  `boot_kernel` (the kernel alone, with fw_cfg files made by the test) and
  `boot_bundle` (a built bundle's files, with no launcher checks in the
  way). Both return a `Boot`: QEMU's status, COM1 (the app's stdout),
  COM3 (the kernel log) and the control UART's frames.
- As a user would, through the CLI in a subprocess: `build_bundle`
  (`cvmify build` of a docker-daemon image with a manifest merged over
  the inferred one), `run_bundle` (`cvmify run --accel tcg`) and
  `build_and_run`; `program` and `shell` make the usual manifests.
- The kernel/tests/guest programs as an image (`build_guest_image`).

The fixtures `kernel` (the kernel under test) and `guest_image` are in
conftest.py.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomli_w

REPO_ROOT = Path(__file__).resolve().parent.parent
GUEST_SOURCES = REPO_ROOT / "kernel" / "tests" / "guest"
GUEST_PROGRAMS = ("mm", "files", "signals", "process", "fork", "sched", "poll", "smp", "threads",
                  "timers", "cow", "filesem", "vdso", "shm", "net", "unix", "hardening", "fdops", "procattr", "fileattr",
                  "sessions", "identity", "procfs", "limits", "cpustate", "fifo", "cputime", "rusage",
                  "reuseport")  # one per syscall family
GUEST_EXTRA = ("oom", "sigbus", "logforge", "sysfuzz")  # built into the image, not pass/fail checklists
GUEST_FLAGS = {"logforge": ("-z", "execstack")}  # extra gcc flags per program
QEMU = "qemu-system-x86_64"
MACHINE = "microvm,x-option-roms=off,isa-serial=on,pit=on,rtc=on,pic=off,acpi=off"
EXIT_APP = 33  # isa-debug-exit 0x10
EXIT_PANIC = 65  # isa-debug-exit 0x20
# Guards against a hung guest, never asserted: a hang fails the test.
BOOT_TIMEOUT = 300  # seconds, the kernel alone
RUN_TIMEOUT = 600  # seconds, a bundle with its app

# -- booting QEMU directly --------------------------------------------------------


@dataclass
class Boot:
    returncode: int  # QEMU's exit status (EXIT_APP, EXIT_PANIC, ...)
    stdout: str  # COM1
    log: str  # COM3: the kernel log, for people
    control: bytes = b""  # the control UART (0x2e0): the channel's frames

    def control_lines(self) -> list[str]:
        """The control messages, as text: "cvmify: exit N", "cvmify: signal
        N", "cvmify: panic TEXT", "cvmify: probe ok", "cvmify: syscall ..."
        (HELLO left out). Decoded here independently of cvmify.launch."""
        return decode_control(self.control)


_CONTROL_TEXT = {0x02: "exit", 0x03: "signal", 0x04: "panic", 0x05: "probe ok", 0x06: "syscall"}


def decode_control(data: bytes) -> list[str]:
    lines, pos = [], 0
    while pos + 6 <= len(data):
        magic, version, kind, zero = data[pos:pos + 4]
        size = int.from_bytes(data[pos + 4:pos + 6], "little")
        assert (magic, version, zero) == (0xC7, 1, 0), f"bad control frame at {pos}: {data[pos:pos + 6].hex()}"
        payload = data[pos + 6:pos + 6 + size]
        pos += 6 + size
        if kind == 0x01:
            continue
        name = _CONTROL_TEXT[kind]
        if kind in (0x02, 0x03):
            lines.append(f"cvmify: {name} {int.from_bytes(payload, 'little')}")
        elif payload:
            lines.append(f"cvmify: {name} {payload.decode('utf-8', 'replace')}")
        else:
            lines.append(f"cvmify: {name}")
    assert pos == len(data), "a control frame was cut short"
    return lines


def qemu_argv(kernel: Path, logs: Path, fw_cfg: dict[str, Path], cpus: int = 1,
              memory: str = "256M") -> list[str]:
    """The launcher's machine, written out independently of cvmify.launch:
    COM1 on stdout, COM2, COM3 and the control UART to files in `logs`,
    isa-debug-exit; `cpus` vCPUs on multi-threaded TCG."""
    argv = [
        QEMU, "-M", MACHINE, "-accel", "tcg,thread=multi", "-cpu", "max", "-m", memory,
        "-smp", str(cpus),
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-kernel", str(kernel),
        "-chardev", "stdio,id=com1", "-serial", "chardev:com1",
        "-chardev", f"file,id=com2,path={logs / 'com2.log'}",
        "-device", "isa-serial,chardev=com2,iobase=0x2f8,irq=3",
        "-chardev", f"file,id=com3,path={logs / 'com3.log'}",
        "-device", "isa-serial,chardev=com3,iobase=0x3e8,irq=4",
        "-chardev", f"file,id=control,path={logs / 'control.bin'}",
        "-device", "isa-serial,chardev=control,iobase=0x2e0,irq=3,index=3",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
    ]
    for name, path in fw_cfg.items():
        argv += ["-fw_cfg", f"name={name},file={path}"]
    return argv


def run_qemu(argv: list[str], logs: Path, timeout: int) -> Boot:
    if shutil.which(QEMU) is None:
        pytest.fail(f"{QEMU} is not installed", pytrace=False)
    result = subprocess.run(argv, capture_output=True, text=True, errors="replace",
                            timeout=timeout, stdin=subprocess.DEVNULL)
    com3, control = logs / "com3.log", logs / "control.bin"
    log = com3.read_text(errors="replace") if com3.exists() else ""
    return Boot(result.returncode, result.stdout, log, control.read_bytes() if control.exists() else b"")


def boot_kernel(kernel: Path, tmp_path: Path, files: dict[str, bytes], cpus: int = 1) -> Boot:
    """Boot `kernel` with no disk; `files` maps fw_cfg names to contents."""
    fw_cfg = {}
    for name, data in files.items():
        path = tmp_path / name.replace("/", "_")
        path.write_bytes(data)
        fw_cfg[name] = path
    return run_qemu(qemu_argv(kernel, tmp_path, fw_cfg, cpus), tmp_path, BOOT_TIMEOUT)


def boot_bundle(bundle: Path, tmp_path: Path, cpus: int = 1, memory: str = "256M") -> Boot:
    """Boot a bundle's files with QEMU directly (no launcher checks)."""
    argv = qemu_argv(bundle / "kernel.elf", tmp_path, {
        "opt/cvmify/config": bundle / "config.bin",
        "opt/cvmify/disk-key": bundle / "disk-key.dev",
    }, cpus, memory)
    argv += [
        "-global", "virtio-mmio.force-legacy=false",
        "-drive", f"file={bundle / 'rootfs.img'},format=raw,if=none,readonly=on,id=root",
        "-device", "virtio-blk-device,drive=root",
    ]
    return run_qemu(argv, tmp_path, RUN_TIMEOUT)


# -- the CLI, as a user runs it ------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def cvmify(*args: str, timeout: int = RUN_TIMEOUT) -> Run:
    """`python -m cvmify ARGS` from the repository root; output decoded as
    UTF-8 without newline translation (a terminal's CR NL stays)."""
    result = subprocess.run([sys.executable, "-m", "cvmify", *args], capture_output=True,
                            timeout=timeout, cwd=REPO_ROOT)
    return Run(result.returncode, result.stdout.decode(errors="replace"),
               result.stderr.decode(errors="replace"))


def program(entrypoint: str, *argv: str) -> dict:
    """A manifest running `entrypoint argv...` (argv[0] is the entrypoint)."""
    return {"libos": {"entrypoint": entrypoint}, "loader": {"argv": [entrypoint, *argv]}}


def shell(script: str) -> dict:
    """A manifest running `/bin/sh -c script`."""
    return {"loader": {"argv": ["/bin/sh", "-c", script]}}


def build_bundle(image: str, kernel: Path, tmp_path: Path, manifest: dict) -> Path:
    """`cvmify build` of docker-daemon `image` with `manifest` merged over
    the inferred one; the bundle is tmp_path/"bundle"."""
    manifest_path = tmp_path / "manifest.toml"
    manifest_path.write_text(tomli_w.dumps(manifest))
    bundle = tmp_path / "bundle"
    built = cvmify("build", f"docker-daemon:{image}", "-o", str(bundle), "--manifest",
                   str(manifest_path), "--kernel", str(kernel))
    assert built.returncode == 0, f"cvmify build failed:\n{built.stderr}"
    return bundle


def run_bundle(bundle: Path, *run_args: str) -> Run:
    """`cvmify run BUNDLE --accel tcg RUN_ARGS`: what the app produced."""
    return cvmify("run", str(bundle), "--accel", "tcg", *run_args)


def build_and_run(image: str, kernel: Path, tmp_path: Path, manifest: dict,
                  run_args: tuple[str, ...] = ()) -> Run:
    return run_bundle(build_bundle(image, kernel, tmp_path, manifest), *run_args)


# -- the guest test programs -----------------------------------------------------------


def build_guest_image(client, context: Path) -> str:
    """An image FROM scratch with GUEST_PROGRAMS and GUEST_EXTRA, compiled
    static here in the empty directory `context`; returns its tag."""
    sources = sorted(GUEST_SOURCES.glob("*.[ch]"))
    digest = hashlib.sha256(repr(GUEST_FLAGS).encode() + b"".join(p.name.encode() + p.read_bytes() for p in sources))
    tag = f"cvmify-test/guest:h-{digest.hexdigest()[:20]}"
    for name in GUEST_PROGRAMS + GUEST_EXTRA:
        subprocess.run(["gcc", "-static", "-O2", "-Wall", "-Wextra", *GUEST_FLAGS.get(name, ()),
                        "-o", str(context / name), str(GUEST_SOURCES / f"{name}.c")], check=True)
    (context / "Dockerfile").write_text(
        "FROM scratch\n"
        f"COPY {' '.join(GUEST_PROGRAMS + GUEST_EXTRA)} /\n"
        f'ENTRYPOINT ["/{GUEST_PROGRAMS[0]}"]\n')
    client.images.build(path=str(context), tag=tag, network_mode="host", rm=True)
    return tag
