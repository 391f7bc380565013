"""Volume benchmark: write and fsync throughput on a persistent volume.

The workloads (benchmarks/volbench/volbench.c, a static C program timed
in the guest with CLOCK_MONOTONIC) run in a bundle of the busybox test
image with the program added:
- on a persistent volume (`cvmify run -v bench:/data`): every fsync is a
  commit (blocks written copy-on-write, two flushes of QEMU's write cache
  to the host file, a header switch); a second boot reads the 64 MiB file
  back cold;
- on /tmp (tmpfs, memory only, nothing durable): the same writes without
  any disk, to show what durability and encryption cost.

Runs alternate volume and tmpfs boots; the table gives medians.

Usage: python benchmarks/volume.py [--runs 3] [--accel tcg] [--memory 512M] [--json]
Record the table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
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
sys.path.insert(0, str(REPO))

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


def cvmify_bin() -> str:
    venv = REPO / ".venv" / "bin" / "cvmify"
    return str(venv) if venv.exists() else "cvmify"


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
    series: dict[str, dict[str, list[float]]] = {"volume": {}, "tmpfs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bundle = build_bundle(work)
        for _ in range(args.runs):
            for name, times in (("volume", volume_run(bundle, args.accel, args.memory, work / "state")),
                                ("tmpfs", tmpfs_run(bundle, args.accel, args.memory))):
                for key, value in times.items():
                    series[name].setdefault(key, []).append(value)
    table = {name: {k: statistics.median(v) for k, v in s.items()} for name, s in series.items()}
    if args.json:
        print(json.dumps({"accel": args.accel, "memory": args.memory, "runs": args.runs, "median_s": table},
                         indent=2))
        return
    print(f"accel={args.accel} memory={args.memory} runs={args.runs} (medians, seconds in the guest)")
    print("| workload | volume | tmpfs (not durable) |")
    print("| --- | --- | --- |")
    for key, what in DESCRIPTIONS.items():
        vol = table["volume"].get(key)
        tmp = table["tmpfs"].get(key)
        print(f"| {what} | {vol:.3f} s | " + (f"{tmp:.3f} s |" if tmp is not None else "— |"))
    vol = table["volume"]
    print(f"\nvolume: {64 * MIB / vol['seqwrite-64M+fsync'] / MIB:.1f} MiB/s sequential write incl. fsync, "
          f"{1000 * vol['append4k+fdatasync-x500'] / 500:.2f} ms per append+fdatasync, "
          f"{64 * MIB / vol['seqread-64M-cold'] / MIB:.1f} MiB/s cold sequential read")


if __name__ == "__main__":
    main()
