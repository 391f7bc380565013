"""Boot benchmark: `cvmify run` of a hello-world against a Linux guest.

Both guests run on the same QEMU machine type (microvm) and accelerator.
- cvmify: a bundle of the static `hello` program from the cprogs test image,
  timed through the whole `cvmify run` command and through the bare QEMU
  command line that `cvmify run --dry-run` prints (without Python's start-up);
- Linux: Debian's linux-image-cloud-amd64 with a busybox initramfs whose
  /init prints hello and reboots (benchmarks/linux_guest.py).

Usage: python benchmarks/boot.py [--runs 5] [--accel tcg] [--json]
Record the printed table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
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
from timing import summarize, time_command  # noqa: E402

HELLO_MANIFEST = 'libos.entrypoint = "/hello"\nloader.argv = ["/hello"]\n'
MARKER = b"hello"


def build_hello_bundle(workdir: Path) -> Path:
    from tests.images import build as images

    tag = images.build_image("cprogs")
    manifest = workdir / "hello.toml"
    manifest.write_text(HELLO_MANIFEST)
    bundle = workdir / "hello.bundle"
    subprocess.run(
        [cvmify_bin(), "build", f"docker-daemon:{tag}", "-o", str(bundle), "--manifest", str(manifest)],
        check=True, stdout=subprocess.DEVNULL,
    )
    return bundle


def bench_env() -> dict:
    """No bytecode cache warmed by earlier runs: PYTHONDONTWRITEBYTECODE=1,
    so the timed runs (and the warm-up) use only the bytecode that
    installing wrote (pip for a wheel, scripts/setup.sh for a checkout)."""
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1")


def run_series(name: str, argv: list[str], runs: int) -> dict:
    firsts, exits = [], []
    time_command(argv, MARKER, env=bench_env())  # warm-up: the page cache only
    for _ in range(runs):
        sample = time_command(argv, MARKER, env=bench_env())
        firsts.append(sample.first_output_s)
        exits.append(sample.exit_s)
    return {"name": name, "argv": argv, "first_output": summarize(firsts), "exit": summarize(exits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--accel", default="tcg", choices=["tcg", "kvm"])
    parser.add_argument("--bundle", type=Path, help="use this hello bundle instead of building one")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        bundle = args.bundle or build_hello_bundle(Path(tmp))
        run_cmd = [cvmify_bin(), "run", str(bundle), "--accel", args.accel]
        dry = subprocess.run(run_cmd + ["--dry-run"], check=True, capture_output=True, text=True).stdout
        qemu_cmd = shlex.split(dry.strip().splitlines()[-1])
        results = [
            run_series("cvmify run (whole command)", run_cmd, args.runs),
            run_series("cvmify kernel (bare QEMU)", qemu_cmd, args.runs),
            run_series("Linux cloud kernel + busybox initramfs", linux_guest.qemu_argv(args.accel), args.runs),
        ]
    linux = results[2]["first_output"]["median"]
    for r in results:
        r["ratio_first_output_vs_linux"] = r["first_output"]["median"] / linux
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"accel={args.accel} runs={args.runs} cpus={os.cpu_count()}")
    print(f"{'guest':42} {'first output (s)':>17} {'exit (s)':>10} {'vs Linux':>9}")
    for r in results:
        print(f"{r['name']:42} {r['first_output']['median']:17.3f} {r['exit']['median']:10.3f} "
              f"{r['ratio_first_output_vs_linux']:9.3f}")


if __name__ == "__main__":
    main()
