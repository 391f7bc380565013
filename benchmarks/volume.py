"""Volume benchmark: write and fsync throughput on a persistent volume.

The workloads (benchmarks/volbench/volbench.c, a static C program timed
in the guest with CLOCK_MONOTONIC) run in a bundle of the busybox test
image with the program added:
- on a persistent volume (`cvmify run -v bench:/data`): every fsync is a
  commit (blocks written copy-on-write, two flushes of QEMU's write cache
  to the host file, a header switch); a second boot reads the 64 MiB file
  back cold;
- on /tmp (tmpfs, memory only, nothing durable): the same writes without
  any disk, to show what durability and encryption cost;
- on Linux (Debian's cloud kernel, benchmarks/linux_guest.py) with ext4 on
  a writable virtio-blk disk attached the same way (microvm, virtio-mmio,
  cache=writeback): the same program from an initramfs, its fsyncs ext4
  journal commits with cache flushes.

Runs alternate volume, tmpfs and Linux boots; the table gives medians.

Usage: python benchmarks/volume.py [--runs 3] [--accel tcg] [--memory 512M] [--json]
Record the table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import stat
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import linux_guest  # noqa: E402
from cvmify_cli import cvmify_bin  # noqa: E402

SOURCE = HERE / "volbench" / "volbench.c"
TAG = "cvmify-bench/volbench:latest"
TIMEOUT_S = 1800
MIB = 1 << 20
DESCRIPTIONS = {
    "seqwrite-64M+fsync": "write 64 MiB in 1 MiB writes, then fsync",
    "append4k+fdatasync-x500": "500 times: append 4 KiB, fdatasync (a database log)",
    "randwrite4k-x4096+fsync": "4096 random 4 KiB pwrites over 16 MiB, then fsync",
    "create1k-files+sync": "create 1000 files of 1 KiB, then sync",
    "seqread-64M-cold": "read the 64 MiB file back, cold, in a new boot",
}


MODULES = ["virtio_ring", "virtio", "virtio_mmio", "virtio_blk"]  # load order
LINUX_INIT = rb"""#!/bin/busybox sh
B=/bin/busybox
$B mkdir -p /proc /dev /data
$B mount -t proc proc /proc
$B mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_mmio virtio_blk; do $B insmod /modules/$m.ko; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do $B sleep 0.1; i=$((i+1)); done
phase=$($B sed -n 's/.*volphase=\([a-z]*\).*/\1/p' /proc/cmdline)
$B mount -t ext4 /dev/vda /data && /volbench /data $phase
$B umount /data
$B reboot -f
"""


def build_bundle(work: Path) -> Path:
    """volbench (compiled static here) on top of the busybox test image."""
    from tests.images import build as images

    base = images.build_image("busybox")
    context = work / "context"
    context.mkdir()
    subprocess.run(["gcc", "-static", "-O2", "-Wall", "-o", str(context / "volbench"), str(SOURCE)], check=True)
    (context / "Dockerfile").write_text(f"FROM {base}\nCOPY volbench /volbench\n")
    subprocess.run(["docker", "build", "-q", "--network", "host", "-t", TAG, str(context)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = work / "volbench.toml"
    manifest.write_text('libos.entrypoint = "/volbench"\nloader.argv = ["/volbench", "/data", "write"]\n'
                        'loader.insecure__use_cmdline_argv = true\n[fs]\nhost_volumes = ["/data"]\n')
    bundle = work / "volbench.bundle"
    subprocess.run([cvmify_bin(), "build", f"docker-daemon:{TAG}", "-o", str(bundle), "--manifest", str(manifest)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return bundle


def linux_initrd(work: Path) -> Path:
    """busybox, volbench and the virtio modules; /init mounts /dev/vda."""
    empty = work / "empty"
    empty.mkdir(exist_ok=True)
    extra = [("init", stat.S_IFREG | 0o755, LINUX_INIT),
             ("bin", stat.S_IFDIR | 0o755, b""),
             ("bin/busybox", stat.S_IFREG | 0o755, Path("/bin/busybox").read_bytes()),
             ("volbench", stat.S_IFREG | 0o755, (work / "context" / "volbench").read_bytes()),
             ("modules", stat.S_IFDIR | 0o755, b"")]
    extra += [(f"modules/{n}.ko", stat.S_IFREG | 0o644, data)
              for n, data in linux_guest.kernel_modules(MODULES).items()]
    return linux_guest.write_tree_initramfs(work / "linux.cpio", empty, extra)


def linux_argv(accel: str, memory: str, initrd: Path, disk: Path, phase: str, tsc_khz: int) -> list[str]:
    argv = linux_guest.qemu_argv(accel, memory, initrd=initrd, tsc_khz=tsc_khz)
    argv[argv.index("-append") + 1] += f" volphase={phase}"
    return argv + ["-global", "virtio-mmio.force-legacy=false",
                   "-drive", f"file={disk},format=raw,if=none,cache=writeback,id=data",
                   "-device", "virtio-blk-device,drive=data"]


def linux_run(work: Path, accel: str, memory: str, initrd: Path, tsc_khz: int) -> dict[str, float]:
    """A fresh ext4 disk of the volume's default size, written then read."""
    disk = work / "linux.ext4"
    disk.unlink(missing_ok=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(disk), "1024M"], check=True, capture_output=True)
    times = boot(linux_argv(accel, memory, initrd, disk, "write", tsc_khz), dict(os.environ))
    times.update(boot(linux_argv(accel, memory, initrd, disk, "read", tsc_khz), dict(os.environ)))
    return times


def cvmify_tsc_khz(bundle: Path, accel: str, memory: str) -> int:
    """The TSC rate cvmify's kernel calibrated (its log, on the dry run's
    stderr), for the Linux guest's clock."""
    dry = subprocess.run([cvmify_bin(), "run", str(bundle), "--accel", accel, "--memory", memory, "--dry-run",
                          "--", "/tmp", "write"], check=True, capture_output=True, text=True).stdout
    log = subprocess.run(shlex.split(dry.strip().splitlines()[-1]), capture_output=True, text=True,
                         errors="replace", timeout=TIMEOUT_S, stdin=subprocess.DEVNULL).stderr
    m = re.search(r"time: tsc (\d+) kHz", log)
    if not m:
        raise RuntimeError("cvmify's kernel log gives no TSC rate")
    return int(m.group(1))


def boot(argv: list[str], env: dict) -> dict[str, float]:
    result = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=TIMEOUT_S,
                            stdin=subprocess.DEVNULL, env=env)
    times = {m.group(1): float(m.group(2))
             for m in re.finditer(r"^vol: (\S+) ([\d.]+) \d+ \d+$", result.stdout, re.MULTILINE)}
    if "vol: done" not in result.stdout:
        raise RuntimeError(f"{shlex.join(argv)} failed ({result.returncode}):\n{result.stdout}{result.stderr[-2000:]}")
    return times


def volume_run(bundle: Path, accel: str, memory: str, state: Path) -> dict[str, float]:
    """One write boot on a fresh volume, then one read boot."""
    shutil.rmtree(state, ignore_errors=True)
    env = dict(os.environ, CVMIFY_STATE_DIR=str(state))
    run = [cvmify_bin(), "run", str(bundle), "--accel", accel, "--memory", memory, "-v", "bench:/data"]
    times = boot(run, env)
    times.update(boot(run + ["--", "/data", "read"], env))
    return times


def tmpfs_run(bundle: Path, accel: str, memory: str) -> dict[str, float]:
    run = [cvmify_bin(), "run", str(bundle), "--accel", accel, "--memory", memory, "--", "/tmp", "write"]
    return boot(run, dict(os.environ))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--accel", default="tcg", choices=["tcg", "kvm"])
    parser.add_argument("--memory", default="512M")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    series: dict[str, dict[str, list[float]]] = {"volume": {}, "tmpfs": {}, "linux": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bundle = build_bundle(work)
        initrd = linux_initrd(work)
        tsc_khz = cvmify_tsc_khz(bundle, args.accel, args.memory)
        for _ in range(args.runs):
            for name, run in (("volume", lambda: volume_run(bundle, args.accel, args.memory, work / "state")),
                              ("tmpfs", lambda: tmpfs_run(bundle, args.accel, args.memory)),
                              ("linux", lambda: linux_run(work, args.accel, args.memory, initrd, tsc_khz))):
                for key, value in run().items():
                    series[name].setdefault(key, []).append(value)
    table = {name: {k: statistics.median(v) for k, v in s.items()} for name, s in series.items()}
    if args.json:
        print(json.dumps({"accel": args.accel, "memory": args.memory, "runs": args.runs, "median_s": table},
                         indent=2))
        return
    print(f"accel={args.accel} memory={args.memory} runs={args.runs} (medians, seconds in the guest)")
    print("| workload | cvmify volume | Linux ext4 on virtio-blk | ratio | cvmify tmpfs (not durable) |")
    print("| --- | --- | --- | --- | --- |")
    for key, what in DESCRIPTIONS.items():
        vol, lin, tmp = (table[g].get(key) for g in ("volume", "linux", "tmpfs"))
        print(f"| {what} | {vol:.3f} s | {lin:.3f} s | {vol / lin:.2f} | "
              + (f"{tmp:.3f} s |" if tmp is not None else "— |"))
    vol = table["volume"]
    print(f"\nvolume: {64 * MIB / vol['seqwrite-64M+fsync'] / MIB:.1f} MiB/s sequential write incl. fsync, "
          f"{1000 * vol['append4k+fdatasync-x500'] / 500:.2f} ms per append+fdatasync, "
          f"{64 * MIB / vol['seqread-64M-cold'] / MIB:.1f} MiB/s cold sequential read")


if __name__ == "__main__":
    main()
