"""Threads benchmark (issue 7): cvmify against a Linux guest, each with one
and with two vCPUs, interleaved in one run.

One static program (benchmarks/threadbench/threadbench.c), timed in the
guest with CLOCK_MONOTONIC, runs in four guests on QEMU microvm with
multi-threaded TCG (so two vCPUs really use two host cores):
- cvmify --cpus 1 and --cpus 2: a bundle of the busybox test image with
  the program added, booted with the command line `cvmify run --dry-run`
  prints;
- Linux -smp 1 and -smp 2: Debian's cloud kernel (benchmarks/linux_guest.py)
  with a busybox initramfs whose /init runs the program.

Figures: the speed-up of a 2-thread CPU-bound loop from one vCPU to two
(seconds on 1 / seconds on 2), thread create+join per second, and the
futex ping-pong round trip between two threads.

Clocks: under TCG a guest's TSC is the host's. Linux is told the TSC rate
cvmify's kernel calibrated (an untimed boot of cvmify tells it) and to
trust its TSC; by default it would assume 2 GHz and later fall back to
jiffies, which lose ticks on a busy host.

Usage: python benchmarks/threads.py [--runs 3] [--accel tcg] [--json]
Record the table in docs/benchmarks.md, with the load average it prints.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import stat
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import linux_guest  # noqa: E402
from cvmify_cli import cvmify_bin  # noqa: E402

SOURCE = HERE / "threadbench" / "threadbench.c"
TAG = "cvmify-bench/threadbench:latest"
TIMEOUT_S = 900
WORKLOADS = ("spin-2", "create-join", "ping-pong")
LINUX_INIT = (b"#!/bin/busybox sh\n/bin/busybox mount -t proc proc /proc\n"
              b"/threadbench\n/bin/busybox reboot -f\n")


def compile_program(out: Path) -> Path:
    subprocess.run(["gcc", "-static", "-O2", "-Wall", "-Wextra", "-pthread", "-o", str(out),
                    str(SOURCE)], check=True)
    return out


def build_bundle(program: Path, work: Path, kernel: Path | None) -> Path:
    """threadbench on top of the busybox test image."""
    from tests.images import build as images

    base = images.build_image("busybox")
    context = work / "context"
    context.mkdir()
    (context / "threadbench").write_bytes(program.read_bytes())
    (context / "threadbench").chmod(0o755)
    (context / "Dockerfile").write_text(f"FROM {base}\nCOPY threadbench /threadbench\n")
    subprocess.run(["docker", "build", "-q", "--network", "host", "-t", TAG, str(context)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = work / "threadbench.toml"
    manifest.write_text('libos.entrypoint = "/threadbench"\nloader.argv = ["/threadbench"]\n')
    bundle = work / "threadbench.bundle"
    build = [cvmify_bin(), "build", f"docker-daemon:{TAG}", "-o", str(bundle), "--manifest", str(manifest)]
    if kernel is not None:
        build += ["--kernel", str(kernel)]
    subprocess.run(build, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return bundle


def cvmify_argv(bundle: Path, accel: str, cpus: int) -> list[str]:
    dry = subprocess.run([cvmify_bin(), "run", str(bundle), "--accel", accel, "--cpus", str(cpus),
                          "--dry-run"], check=True, capture_output=True, text=True)
    return shlex.split(dry.stdout.strip().splitlines()[-1])


def linux_initramfs(program: Path, work: Path) -> Path:
    entries = [
        ("bin", stat.S_IFDIR | 0o755, b""),
        ("bin/busybox", stat.S_IFREG | 0o755, linux_guest.BUSYBOX.read_bytes()),
        ("proc", stat.S_IFDIR | 0o755, b""),
        ("init", stat.S_IFREG | 0o755, LINUX_INIT),
        ("threadbench", stat.S_IFREG | 0o755, program.read_bytes()),
    ]
    blob = b"".join(linux_guest._cpio_entry(n, m, d, i + 1) for i, (n, m, d) in enumerate(entries))
    blob += linux_guest._cpio_entry("TRAILER!!!", 0, b"", 0)
    target = work / "threadbench.cpio"
    target.write_bytes(blob)
    return target


def set_option(argv: list[str], flag: str, value: str) -> list[str]:
    """argv with the value after `flag` replaced."""
    out = list(argv)
    out[out.index(flag) + 1] = value
    return out


def linux_argv(accel: str, cpus: int, initrd: Path, tsc_khz: int) -> list[str]:
    """The boot benchmark's Linux guest with `cpus` vCPUs on
    multi-threaded TCG, our initramfs and a trusted TSC at tsc_khz."""
    argv = linux_guest.qemu_argv(accel, initrd=initrd, tsc_khz=tsc_khz)
    argv = set_option(argv, "-smp", str(cpus))
    if accel == "tcg":
        argv = set_option(argv, "-accel", "tcg,thread=multi")
    return argv


def run_guest(argv: list[str]) -> tuple[dict[str, tuple[float, int]], str]:
    """Boot once: {workload: (seconds, count)} and everything printed."""
    result = subprocess.run(argv, capture_output=True, text=True, errors="replace",
                            timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    times = {m.group(1): (float(m.group(2)), int(m.group(3)))
             for m in re.finditer(r"^threads: (\S+) ([\d.]+) (\d+)\s*$", output, re.MULTILINE)}
    if "threads: done" not in output or set(times) != set(WORKLOADS):
        raise RuntimeError(f"{argv[0]}: incomplete run (exit {result.returncode}):\n{output[-3000:]}")
    return times, output


def figures(samples: dict[str, list[tuple[float, int]]]) -> dict[str, float]:
    """Medians: spin-2 seconds, create+joins per second, µs per round trip."""
    spin = statistics.median(s for s, _ in samples["spin-2"])
    create = statistics.median(n / s for s, n in samples["create-join"])
    ping = statistics.median(1e6 * s / n for s, n in samples["ping-pong"])
    return {"spin-2 s": spin, "create+join /s": create, "ping-pong us": ping}


def print_table(accel: str, runs: int, loads: list[float], table: dict[str, dict[str, float]]) -> None:
    print(f"accel={accel} runs={runs} (medians, timed in the guest), "
          f"load average {min(loads):.1f} to {max(loads):.1f}")
    print("| guest | 2-thread loop, 1 vCPU | 2 vCPUs | speed-up | create+join | "
          "ping-pong, 1 vCPU | ping-pong, 2 vCPUs |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in ("cvmify", "linux"):
        one, two = table[f"{name}-1"], table[f"{name}-2"]
        print(f"| {name} | {one['spin-2 s']:.3f} s | {two['spin-2 s']:.3f} s | "
              f"{one['spin-2 s'] / two['spin-2 s']:.2f}x | "
              f"{one['create+join /s']:.0f}/s (1), {two['create+join /s']:.0f}/s (2) | "
              f"{one['ping-pong us']:.1f} us | {two['ping-pong us']:.1f} us |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--accel", default="tcg", choices=["tcg", "kvm"])
    parser.add_argument("--kernel", type=Path, help="cvmify kernel ELF (default: the build's)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        program = compile_program(work / "threadbench")
        bundle = build_bundle(program, work, args.kernel)
        initrd = linux_initramfs(program, work)
        guests = {f"cvmify-{n}": cvmify_argv(bundle, args.accel, n) for n in (1, 2)}
        tsc_khz = linux_guest.cvmify_tsc_khz(run_guest(guests["cvmify-1"])[1])  # untimed warm-up
        guests.update({f"linux-{n}": linux_argv(args.accel, n, initrd, tsc_khz) for n in (1, 2)})
        samples: dict[str, dict[str, list]] = {g: {w: [] for w in WORKLOADS} for g in guests}
        loads = []
        for run in range(args.runs):
            for guest, argv in guests.items():
                started = time.perf_counter()
                loads.append(os.getloadavg()[0])
                times, _ = run_guest(argv)
                for name, value in times.items():
                    samples[guest][name].append(value)
                print(f"run {run + 1}/{args.runs} {guest}: {time.perf_counter() - started:.1f} s wall, "
                      f"load {loads[-1]:.1f}", file=sys.stderr)

    table = {g: figures(s) for g, s in samples.items()}
    if args.json:
        print(json.dumps({"accel": args.accel, "runs": args.runs, "tsc_khz": tsc_khz, "loads": loads,
                          "medians": table, "samples": samples}, indent=2))
        return
    print_table(args.accel, args.runs, loads, table)


if __name__ == "__main__":
    main()
