"""Build benchmark: `cvmify build` against `docker save IMAGE | tar -x`, same image, same run.

Usage: python benchmarks/build.py [--image cvmify-test/python3] [--runs 3] [--json]
MB/s is the image's uncompressed size (docker's `Size`) over the wall time.
Record the printed table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
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


def cvmify_bin() -> str:
    venv = REPO / ".venv" / "bin" / "cvmify"
    return str(venv) if venv.exists() else "cvmify"


def image_size(image: str) -> int:
    out = subprocess.run(["docker", "image", "inspect", "--format", "{{.Size}}", image],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip())


def time_baseline(image: str, workdir: Path) -> float:
    target = workdir / "baseline"
    target.mkdir()
    start = time.perf_counter()
    subprocess.run(f"docker save {image} | tar -x -C {target}", shell=True, check=True)
    elapsed = time.perf_counter() - start
    shutil.rmtree(target)
    return elapsed


def time_cvmify(image: str, workdir: Path) -> float:
    target = workdir / "bundle"
    start = time.perf_counter()
    subprocess.run([cvmify_bin(), "build", f"docker-daemon:{image}", "-o", str(target)],
                   check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    shutil.rmtree(target)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="cvmify-test/python3")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    if args.image.startswith("cvmify-test/"):
        from tests.images import build as images
        images.build_image(args.image.split("/", 1)[1])
    size = image_size(args.image)
    base, ours = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            base.append(time_baseline(args.image, Path(tmp)))
            ours.append(time_cvmify(args.image, Path(tmp)))
    b, o = summarize(base), summarize(ours)
    result = {
        "image": args.image, "size_bytes": size, "runs": args.runs,
        "baseline_s": b, "cvmify_s": o,
        "baseline_mb_s": size / 1e6 / b["median"], "cvmify_mb_s": size / 1e6 / o["median"],
        "ratio": o["median"] / b["median"],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"image {args.image}: {size / 1e6:.1f} MB uncompressed, {args.runs} runs, medians")
    print(f"  docker save | tar -x : {b['median']:7.2f} s  {result['baseline_mb_s']:7.1f} MB/s")
    print(f"  cvmify build         : {o['median']:7.2f} s  {result['cvmify_mb_s']:7.1f} MB/s")
    print(f"  ratio                : {result['ratio']:7.2f} x  (target <= 2)")


if __name__ == "__main__":
    main()
