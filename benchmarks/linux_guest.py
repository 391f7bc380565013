"""A Linux guest for the boot benchmark: Debian's cloud kernel and a busybox initramfs.

The kernel comes from Debian's linux-image-cloud-amd64 package, fetched with
the ordinary apt client (`apt-get download`) into a cache directory. The
initramfs is built here in the cpio "newc" format: /init is a busybox shell
script that prints "hello" and reboots (with QEMU's -no-reboot, that ends
QEMU). Nothing is downloaded at import time.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

PACKAGE = "linux-image-cloud-amd64"
BUSYBOX = Path("/bin/busybox")
INIT_SCRIPT = b"#!/bin/busybox sh\n/bin/busybox echo hello\n/bin/busybox reboot -f\n"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    path = Path(base) / "cvmify-bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _real_kernel_package() -> str:
    """The meta package depends on one versioned linux-image package."""
    out = subprocess.run(["apt-cache", "depends", PACKAGE], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Depends:") and "linux-image-" in line:
            return line.split(":", 1)[1].strip()
    raise RuntimeError(f"cannot find the kernel package behind {PACKAGE}")


def fetch_kernel() -> Path:
    """Return the path of Debian's cloud vmlinuz, downloading it once."""
    target = cache_dir() / "vmlinuz-cloud"
    if target.exists():
        return target
    package = _real_kernel_package()
    with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
        subprocess.run(["apt-get", "download", package], cwd=tmp, check=True, capture_output=True)
        debs = glob.glob(os.path.join(tmp, "*.deb"))
        if len(debs) != 1:
            raise RuntimeError(f"apt-get download {package} gave {debs}")
        root = Path(tmp) / "root"
        subprocess.run(["dpkg-deb", "-x", debs[0], str(root)], check=True)
        kernels = sorted((root / "boot").glob("vmlinuz-*"))
        if not kernels:
            raise RuntimeError(f"{package} holds no /boot/vmlinuz-*")
        shutil.copyfile(kernels[0], target)
    return target


def _cpio_entry(name: str, mode: int, data: bytes, ino: int, uid: int = 0, gid: int = 0,
                mtime: int = 0) -> bytes:
    """One newc record: 110-byte ASCII header, name, data, each padded to 4."""
    name_b = name.encode() + b"\0"
    fields = [ino, mode, uid, gid, 1, mtime, len(data), 0, 0, 0, 0, len(name_b), 0]
    header = b"070701" + b"".join(b"%08x" % f for f in fields)
    out = header + name_b
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def build_initramfs() -> Path:
    """An uncompressed newc initramfs: /bin/busybox and /init."""
    target = cache_dir() / "initramfs-hello.cpio"
    if target.exists():
        return target
    entries = [
        ("bin", stat.S_IFDIR | 0o755, b""),
        ("bin/busybox", stat.S_IFREG | 0o755, BUSYBOX.read_bytes()),
        ("init", stat.S_IFREG | 0o755, INIT_SCRIPT),
    ]
    blob = b"".join(_cpio_entry(n, m, d, i + 1) for i, (n, m, d) in enumerate(entries))
    blob += _cpio_entry("TRAILER!!!", 0, b"", 0)
    target.write_bytes(blob)
    return target


def _tree_entries(root: Path, prefix: str = ""):
    """(name, mode, data, uid, gid, mtime) for every path under root,
    parents first. Modification times matter: Python checks its .pyc
    files against the sources' and recompiles on a mismatch."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        for name in sorted(dirnames) + sorted(filenames):
            path = Path(dirpath) / name
            st = path.lstat()
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if stat.S_ISLNK(st.st_mode):
                data = os.readlink(path).encode()
            elif stat.S_ISREG(st.st_mode):
                data = path.read_bytes()
            elif stat.S_ISDIR(st.st_mode):
                data = b""
            else:
                continue  # device nodes and fifos: the guest's devtmpfs has its own
            yield prefix + rel, st.st_mode, data, st.st_uid, st.st_gid, int(st.st_mtime)


def write_tree_initramfs(target: Path, root: Path, extra: list[tuple[str, int, bytes]]) -> Path:
    """An uncompressed newc initramfs of the tree under root (owners, modes
    and times kept, hard links stored as copies) plus extra (name, mode,
    data) entries, streamed to target."""
    ino = 1
    with target.open("wb") as out:
        for name, mode, data in extra:
            out.write(_cpio_entry(name, mode, data, ino, 0, 0))
            ino += 1
        for name, mode, data, uid, gid, mtime in _tree_entries(root):
            out.write(_cpio_entry(name, mode, data, ino, uid, gid, mtime))
            ino += 1
        out.write(_cpio_entry("TRAILER!!!", 0, b"", 0))
    return target


def kernel_modules(names: list[str]) -> dict[str, bytes]:
    """The named .ko files of the cloud kernel package (for an initramfs
    that must load virtio drivers: Debian builds them as modules)."""
    cached = {n: cache_dir() / f"{n}.ko" for n in names}
    if not all(p.exists() for p in cached.values()):
        package = _real_kernel_package()
        with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
            subprocess.run(["apt-get", "download", package], cwd=tmp, check=True, capture_output=True)
            deb = glob.glob(os.path.join(tmp, "*.deb"))[0]
            root = Path(tmp) / "root"
            subprocess.run(["dpkg-deb", "-x", deb, str(root)], check=True)
            for name, path in cached.items():
                found = sorted(root.glob(f"lib/modules/*/kernel/**/{name}.ko"))
                if not found:
                    raise RuntimeError(f"{package} has no {name}.ko")
                shutil.copyfile(found[0], path)
    return {n: p.read_bytes() for n, p in cached.items()}


def _cmdline(tsc_khz: int | None) -> str:
    """Without tsc_khz: the boot benchmark's settings. With it (a guest
    whose own clock times work, benchmarks/io.py): the true TSC rate and
    tsc=reliable. Otherwise Linux starts at the assumed 2 GHz and its
    clocksource watchdog soon switches to jiffies, which under TCG lose
    ticks whenever the host is busy: the guest's seconds then stretch
    and shrink against real ones (measured: 6 guest seconds in 4.6 to 9.1
    host seconds)."""
    if tsc_khz is None:
        return "console=ttyS0 tsc_early_khz=2000000 reboot=t panic=-1 quiet"
    return f"console=ttyS0 tsc_early_khz={tsc_khz} tsc=reliable reboot=t panic=-1 quiet"


def cvmify_tsc_khz(log: str) -> int:
    """The TSC rate cvmify's kernel calibrated, from its boot log (what
    a Linux guest is told to use: _cmdline)."""
    m = re.search(r"time: tsc (\d+) kHz", log)
    if not m:
        raise RuntimeError("cvmify's kernel log gives no TSC rate")
    return int(m.group(1))


def qemu_argv(accel: str, memory: str = "512M", initrd: Path | None = None,
              disk: Path | None = None, tsc_khz: int | None = None) -> list[str]:
    """The Linux guest on the same machine type as cvmify's (microvm).

    tsc_early_khz avoids the TSC calibration hang of Linux on microvm under TCG.
    The machine options differ from cvmify's in one way: Linux needs the
    legacy PIC (with cvmify's pic=off,acpi=off it hangs after "PCI: Fatal",
    tried), so the PIC and microvm's default ACPI stay on for it.
    """
    cpu = "max" if accel == "tcg" else "host,-arch-capabilities"
    return [
        "qemu-system-x86_64",
        "-M", "microvm,x-option-roms=off,rtc=on,pit=on,isa-serial=on",
        "-accel", accel, "-cpu", cpu, "-m", memory, "-smp", "1",
        "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
        "-serial", "stdio",
        "-kernel", str(fetch_kernel()), "-initrd", str(initrd or build_initramfs()),
        "-append", _cmdline(tsc_khz),
    ] + ([] if disk is None else [
        # the same disk attachment as cvmify's root (cvmify/launch/qemu.py)
        "-global", "virtio-mmio.force-legacy=false",
        "-drive", f"file={disk},format=raw,if=none,readonly=on,id=root",
        "-device", "virtio-blk-device,drive=root",
    ])
