"""I/O and process benchmark (issue 9): the same workloads inside cvmify and
inside a Linux guest, timed in the guest, interleaved in one run.

Guests, all on QEMU microvm with the same accelerator, memory and one vCPU,
all running Debian's python3 from the python3 test image:
- cvmify: a bundle of the image (encrypted root, page cache, overlay),
  booted with the QEMU command line `cvmify run --dry-run` prints;
- Linux (initramfs): Debian's cloud kernel (benchmarks/linux_guest.py)
  with the image's tree as its initramfs (everything in RAM);
- Linux (ext4): the same kernel with the tree on a read-only ext4
  virtio-blk disk (attached like cvmify's root), /tmp a tmpfs.

The Linux trees leave out /usr/share/{doc,man,locale,info} (memory: an
initramfs is held twice while it unpacks); no workload reads them.

Each boot runs every workload once, in a fixed order, and prints
`io: NAME SECONDS`; runs go cvmify, initramfs, ext4, cvmify, ... and the
table gives medians. cvmify's kernel log also gives the page cache and
AES-GCM figures (ns per 4 KiB block decrypted and authenticated).

Clocks: both guests time with the TSC at the rate cvmify's kernel
calibrated (an untimed warm-up boot of cvmify tells it; Linux gets it as
tsc_early_khz with tsc=reliable): by default Linux would assume 2 GHz and
then fall back to jiffies, whose seconds under a busy host are not real
ones (linux_guest._cmdline).

Usage: python benchmarks/io.py [--runs 3] [--accel tcg] [--memory 512M] [--json]
Record the table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import stat
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import linux_guest  # noqa: E402
from cvmify_cli import cvmify_bin  # noqa: E402

BUSYBOX = Path("/bin/busybox")
LEFT_OUT = ("usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info")
MODULES = ["virtio_ring", "virtio", "virtio_mmio", "virtio_blk"]  # load order
TIMEOUT_S = 1800

# The workloads, run by python3 inside each guest. Order matters (the
# first reads of the image are cold); every guest runs the same code.
WORKLOADS = r'''
import os, sqlite3, subprocess, sys, time

def cpu():
    x = 0
    for i in range(2_000_000):
        x += i * i

def dd512():
    subprocess.run(["dd", "if=/dev/zero", "of=/dev/null", "bs=512", "count=200000"],
                   check=True, stderr=subprocess.DEVNULL)

STAT_PATHS = []

def stat20k():
    for i in range(20000):
        os.stat(STAT_PATHS[i % len(STAT_PATHS)])

def readall():
    total = 0
    for d, _, files in os.walk("/usr/lib/python3.11"):
        for name in files:
            p = os.path.join(d, name)
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    total += len(f.read())
    assert total > 10_000_000, total

def spawn200():
    subprocess.run(["sh", "-c", "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done"],
                   check=True)

def tmp50():
    block = b"x" * (1 << 20)
    with open("/tmp/io-bench", "wb") as f:
        for _ in range(50):
            f.write(block)
    with open("/tmp/io-bench", "rb") as f:
        while f.read(1 << 20):
            pass
    os.unlink("/tmp/io-bench")

def sqlite():
    db = sqlite3.connect("/tmp/io-bench.db")
    db.execute("create table t (k integer primary key, v text, n integer)")
    for batch in range(20):
        with db:
            db.executemany("insert into t (v, n) values (?, ?)",
                           [(f"row {batch}-{i}", i) for i in range(1000)])
    for _ in range(20):
        db.execute("select count(*), sum(n), max(v) from t where n % 7 = 3").fetchone()
    db.close()
    os.unlink("/tmp/io-bench.db")

def imports():
    subprocess.run([sys.executable, "-c",
                    "import asyncio, email.mime.multipart, unittest, xml.dom.minidom, "
                    "http.server, concurrent.futures, multiprocessing, json, decimal, "
                    "argparse, logging.handlers, sqlite3, urllib.request, ssl, tarfile"],
                   check=True)

STAT_PATHS = sorted(os.path.join("/usr/lib/python3.11", n)
                    for n in os.listdir("/usr/lib/python3.11"))[:200]
for name, fn in [("cpu", cpu), ("dd512", dd512), ("stat20k", stat20k),
                 ("readall", readall), ("readall-warm", readall), ("spawn200", spawn200),
                 ("tmp50", tmp50), ("sqlite", sqlite), ("import", imports)]:
    start = time.perf_counter()
    fn()
    print(f"io: {name} {time.perf_counter() - start:.4f}", flush=True)
print("io: done", flush=True)
'''

NAMES = ["cpu", "dd512", "stat20k", "readall", "readall-warm", "spawn200", "tmp50", "sqlite",
         "import"]
DESCRIPTIONS = {
    "cpu": "CPU-bound python loop",
    "dd512": "`dd bs=512 count=200000` /dev/zero -> /dev/null",
    "stat20k": "20,000 `os.stat` on image paths",
    "readall": "read every file of /usr/lib/python3.11 (cold)",
    "readall-warm": "the same again (warm)",
    "spawn200": "`sh` spawning `/bin/true` 200 times",
    "tmp50": "write 50 MB to /tmp and read it back",
    "sqlite": "sqlite3: 20,000 inserts in 20 transactions + 20 selects on /tmp",
    "import": "`python3 -c 'import asyncio, email, unittest, ...'` (15 packages)",
}

INITRAMFS_INIT = b"""#!/cvmify-bin/busybox sh
B=/cvmify-bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
$B mount -t tmpfs tmp /tmp
/usr/bin/python3 /cvmify-io.py
$B reboot -f
"""

EXT4_INIT = b"""#!/bin/busybox sh
B=/bin/busybox
$B mkdir -p /proc /dev /newroot
$B mount -t proc proc /proc
$B mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_mmio virtio_blk; do $B insmod /modules/$m.ko; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do $B sleep 0.1; i=$((i+1)); done
$B mount -t ext4 -o ro /dev/vda /newroot || echo "io: no root disk"
$B mount -t proc proc /newroot/proc
$B mount -t sysfs sys /newroot/sys
$B mount -t devtmpfs dev /newroot/dev
$B mount -t tmpfs tmp /newroot/tmp
$B chroot /newroot /usr/bin/python3 /cvmify-io.py
$B reboot -f
"""


def python3_image() -> str:
    from tests.images import build as images

    return images.build_image("python3")


def build_bundle(tag: str, work: Path, kernel: Path | None) -> list[str]:
    """The cvmify bundle and the bare QEMU command that boots it."""
    manifest = work / "io.toml"
    argv = ["/usr/bin/python3", "-c", WORKLOADS]
    manifest.write_text(f'libos.entrypoint = "/usr/bin/python3"\nloader.argv = {json.dumps(argv)}\n')
    bundle = work / "io.bundle"
    cmd = [cvmify_bin(), "build", f"docker-daemon:{tag}", "-o", str(bundle), "--manifest", str(manifest)]
    if kernel is not None:
        cmd += ["--kernel", str(kernel)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return bundle


def export_tree(tag: str, root: Path) -> None:
    """The image's files (docker export), without LEFT_OUT, plus the
    workload script."""
    import docker

    client = docker.from_env(timeout=1800)
    container = client.containers.create(tag)
    try:
        tar_path = root.parent / "export.tar"
        with tar_path.open("wb") as out:
            for chunk in container.export():
                out.write(chunk)
    finally:
        container.remove()
    root.mkdir()
    with tarfile.open(tar_path) as tar:
        # docker export adds placeholders (dev/console as an empty file,
        # .dockerenv): they would hide the guest kernel's console.
        members = [m for m in tar.getmembers()
                   if not m.isdev() and not m.name.startswith(("dev/", ".dockerenv"))
                   and not any(m.name.startswith(p) for p in LEFT_OUT)]
        tar.extractall(root, members=members, numeric_owner=True)
    tar_path.unlink()
    (root / "cvmify-io.py").write_text(WORKLOADS)
    for d in ("proc", "sys", "dev", "tmp"):
        (root / d).mkdir(exist_ok=True)


def build_linux_guests(tag: str, work: Path) -> tuple[Path, Path, Path]:
    """(tree initramfs, ext4 disk, the small initramfs that mounts it)."""
    root = work / "tree"
    export_tree(tag, root)
    busybox = BUSYBOX.read_bytes()
    tree_initrd = linux_guest.write_tree_initramfs(
        work / "tree.cpio", root,
        [("init", stat.S_IFREG | 0o755, INITRAMFS_INIT),
         ("cvmify-bin", stat.S_IFDIR | 0o755, b""),
         ("cvmify-bin/busybox", stat.S_IFREG | 0o755, busybox)])
    disk = work / "root.ext4"
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", str(root), "-L", "root", str(disk), "1024M"],
                   check=True)
    modules = linux_guest.kernel_modules(MODULES)
    extra = [("init", stat.S_IFREG | 0o755, EXT4_INIT),
             ("bin", stat.S_IFDIR | 0o755, b""),
             ("bin/busybox", stat.S_IFREG | 0o755, busybox),
             ("modules", stat.S_IFDIR | 0o755, b"")]
    extra += [(f"modules/{n}.ko", stat.S_IFREG | 0o644, data) for n, data in modules.items()]
    empty = work / "empty"
    empty.mkdir()
    disk_initrd = linux_guest.write_tree_initramfs(work / "disk.cpio", empty, extra)
    shutil.rmtree(root)
    return tree_initrd, disk, disk_initrd


def run_guest(argv: list[str]) -> tuple[dict[str, float], str]:
    """Boot once; the workload times and everything the guest printed."""
    result = subprocess.run(argv, capture_output=True, text=True, errors="replace",
                            timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    times = {m.group(1): float(m.group(2))
             for m in re.finditer(r"^io: (\S+) ([\d.]+)\s*$", output, re.MULTILINE)}
    if "io: done" not in output or set(times) != set(NAMES):
        raise RuntimeError(f"{argv[0]}: incomplete run (exit {result.returncode}):\n{output[-3000:]}")
    return times, output


def aes_gcm_ns(log: str) -> int | None:
    m = re.search(r"aes-gcm: (\d+) ns per 4 KiB block", log)
    return int(m.group(1)) if m else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--accel", default="tcg", choices=["tcg", "kvm"])
    parser.add_argument("--memory", default="512M")
    parser.add_argument("--kernel", type=Path, help="cvmify kernel ELF (default: the build's)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    tag = python3_image()
    with tempfile.TemporaryDirectory(dir=os.environ.get("CVMIFY_BENCH_TMP")) as tmp:
        work = Path(tmp)
        bundle = build_bundle(tag, work, args.kernel)
        run_cmd = [cvmify_bin(), "run", str(bundle), "--accel", args.accel, "--memory", args.memory]
        dry = subprocess.run(run_cmd + ["--dry-run"], check=True, capture_output=True, text=True)
        cvmify_argv = shlex.split(dry.stdout.strip().splitlines()[-1])
        tree_initrd, disk, disk_initrd = build_linux_guests(tag, work)
        # Linux is told the TSC rate cvmify's kernel calibrated (and to
        # trust its TSC), so both guests time with the same real clock.
        tsc_khz = linux_guest.cvmify_tsc_khz(run_guest(cvmify_argv)[1])
        guests = {
            "cvmify": cvmify_argv,
            "linux-initramfs": linux_guest.qemu_argv(args.accel, args.memory, initrd=tree_initrd,
                                                     tsc_khz=tsc_khz),
            "linux-ext4": linux_guest.qemu_argv(args.accel, args.memory, initrd=disk_initrd,
                                                disk=disk, tsc_khz=tsc_khz),
        }
        samples: dict[str, dict[str, list[float]]] = {g: {n: [] for n in NAMES} for g in guests}
        aes = []
        cache_line = ""
        for run in range(args.runs):
            for guest, argv in guests.items():
                started = time.perf_counter()
                times, output = run_guest(argv)
                for name, secs in times.items():
                    samples[guest][name].append(secs)
                if guest == "cvmify" and aes_gcm_ns(output) is not None:
                    aes.append(aes_gcm_ns(output))
                    cache_line = next(line for line in output.splitlines()
                                      if line.startswith("fs: page cache"))
                print(f"run {run + 1}/{args.runs} {guest}: {time.perf_counter() - started:.1f} s "
                      f"wall, load {os.getloadavg()[0]:.1f}", file=sys.stderr)

    medians = {g: {n: statistics.median(v) for n, v in s.items()} for g, s in samples.items()}
    best = {g: {n: min(v) for n, v in s.items()} for g, s in samples.items()}
    result = {"runs": args.runs, "accel": args.accel, "memory": args.memory, "medians": medians,
              "best": best, "samples": samples, "cvmify_cache_log": cache_line,
              "aes_gcm_ns_per_block": statistics.median(aes) if aes else None}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"accel={args.accel} memory={args.memory} runs={args.runs} (seconds in the guest)")
    # Under TCG a guest's clock runs with the host's: other load on the
    # machine stretches whatever runs then. The best of the runs is the
    # figure least disturbed by it; the median is the measure.
    for title, table in (("medians", medians), ("best of the runs", best)):
        c, i, e = table["cvmify"], table["linux-initramfs"], table["linux-ext4"]
        print(f"\n{title}:")
        print("| workload | cvmify | Linux (initramfs) | ratio | Linux (ext4 on virtio-blk) | ratio |")
        print("| --- | --- | --- | --- | --- | --- |")
        for n in NAMES:
            print(f"| {DESCRIPTIONS[n]} | {c[n]:.3f} s | {i[n]:.3f} s | {c[n] / i[n]:.2f} | "
                  f"{e[n]:.3f} s | {c[n] / e[n]:.2f} |")
    if aes:
        print(f"AES-GCM (decrypt + tag check) in the cvmify guest: {statistics.median(aes)} ns "
              "per 4 KiB block (median of the runs)")
        print(f"cvmify's kernel log, last run: {cache_line}")


if __name__ == "__main__":
    main()
