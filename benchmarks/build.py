"""Build benchmark: `cvmify build` against `docker save IMAGE | tar -x`, same image, same run.

Usage: python benchmarks/build.py [--image cvmify-test/python3] [--runs 3] [--warmup 1]
                                  [--kernel ELF] [--json]

Both commands run interleaved (baseline, cvmify, baseline, ...) after one
untimed warm-up of each, so they see the same page cache and the same
machine load. MB/s is the image's uncompressed size (docker's `Size`) over
the wall time; the ratio is cvmify's median over the baseline's (target:
at most 2). The load average is printed too: on a shared machine, read the
figures with it. Record the printed table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from timing import summarize  # noqa: E402


def cvmify_argv() -> list[str]:
    venv = REPO / ".venv" / "bin" / "cvmify"
    return [str(venv)] if venv.exists() else [sys.executable, "-m", "cvmify"]


def image_size(image: str) -> int:
    out = subprocess.run(["docker", "image", "inspect", "--format", "{{.Size}}", image],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip())


def run_checked(argv: list[str], what: str, env: dict | None = None) -> None:
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{what} failed (exit {done.returncode}):\n{done.stderr}")


def time_baseline(image: str, workdir: Path) -> float:
    target = workdir / "baseline"
    target.mkdir()
    script = f"docker save {shlex.quote(image)} | tar -x -C {shlex.quote(str(target))}"
    start = time.perf_counter()
    run_checked(["bash", "-o", "pipefail", "-c", script], "docker save | tar -x")
    elapsed = time.perf_counter() - start
    shutil.rmtree(target)
    return elapsed


def time_cvmify(image: str, workdir: Path, kernel: Path | None) -> float:
    target = workdir / "bundle"
    argv = cvmify_argv() + ["build", f"docker-daemon:{image}", "-o", str(target)]
    if kernel is not None:
        argv += ["--kernel", str(kernel)]
    env = dict(os.environ, TMPDIR=str(workdir))  # build scratch on the same disk as the baseline
    start = time.perf_counter()
    run_checked(argv, "cvmify build", env)
    elapsed = time.perf_counter() - start
    shutil.rmtree(target)
    return elapsed


def measure(image: str, runs: int, warmup: int, kernel: Path | None, scratch: Path | None) -> dict:
    size = image_size(image)
    base, ours = [], []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="cvmify-bench-", dir=scratch) as tmp:
        for i in range(warmup + runs):  # interleaved, so both see the same machine load
            b = time_baseline(image, Path(tmp))
            o = time_cvmify(image, Path(tmp), kernel)
            if i >= warmup:
                base.append(b)
                ours.append(o)
    b, o = summarize(base), summarize(ours)
    return {
        "image": image, "size_bytes": size, "runs": runs, "warmup": warmup,
        "baseline_s": b, "cvmify_s": o, "baseline_samples": base, "cvmify_samples": ours,
        "baseline_mb_s": size / 1e6 / b["median"], "cvmify_mb_s": size / 1e6 / o["median"],
        "ratio": o["median"] / b["median"],
        "load_average": [load_before, os.getloadavg()[0]], "cpus": os.cpu_count(),
    }


def print_table(r: dict) -> None:
    b, o = r["baseline_s"], r["cvmify_s"]
    print(f"image {r['image']}: {r['size_bytes'] / 1e6:.1f} MB uncompressed, "
          f"{r['runs']} runs (+{r['warmup']} warm-up), medians [min-max]")
    print(f"  docker save | tar -x : {b['median']:6.2f} s  [{b['min']:.2f}-{b['max']:.2f}]  "
          f"{r['baseline_mb_s']:6.1f} MB/s")
    print(f"  cvmify build         : {o['median']:6.2f} s  [{o['min']:.2f}-{o['max']:.2f}]  "
          f"{r['cvmify_mb_s']:6.1f} MB/s")
    print(f"  ratio                : {r['ratio']:6.2f} x  (target <= 2)")
    print(f"  load average {r['load_average'][0]:.2f} -> {r['load_average'][1]:.2f} on {r['cpus']} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="cvmify-test/python3")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--kernel", type=Path, help="kernel ELF for cvmify build (default: its own lookup)")
    parser.add_argument("--scratch", type=Path, help="directory for outputs (default: $TMPDIR)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")

    if args.image.startswith("cvmify-test/"):
        from tests.images import build as images
        images.build_image(args.image.split("/", 1)[1])
    result = measure(args.image, args.runs, args.warmup, args.kernel, args.scratch)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
