"""PostgreSQL benchmark: pgbench from the host against Debian's postgres 15
running as a server inside cvmify (the postgres test image, the server
script of tests/test_postgres_server.py), its cluster on a persistent
volume, reached through `cvmify run -p` (QEMU user networking).

Each run boots a fresh volume, initialises pgbench's tables (scale 1,
untimed), then runs pgbench's default TPC-B-like transaction with 4
clients on 2 threads for --seconds. Every commit is an fdatasync of the
WAL, i.e. a volume commit. The table gives medians over runs. cvmify
only: there is no Linux guest beside it (yet).

Usage: python benchmarks/postgres.py [--runs 3] [--accel tcg] [--seconds 20] [--json]
Needs pgbench and psql on the host (Debian: postgresql-15 and
postgresql-client). Record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomli_w

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from cvmify_cli import cvmify_bin  # noqa: E402
from tests.netguest import free_port  # noqa: E402
from tests.test_postgres_server import SERVER, psql_argv  # noqa: E402
from tests.test_volume_postgres import DATA, MANIFEST, MEMORY  # noqa: E402

START_TIMEOUT = 300  # seconds until the server answers a query (TCG)


def build_bundle(work: Path) -> Path:
    from tests.images import build as images

    manifest = work / "postgres.toml"
    manifest.write_text(tomli_w.dumps(MANIFEST))
    bundle = work / "postgres.bundle"
    subprocess.run([cvmify_bin(), "build", f"docker-daemon:{images.build_image('postgres')}", "-o", str(bundle),
                    "--manifest", str(manifest)], check=True, stdout=subprocess.DEVNULL)
    return bundle


def pgbench(port: int, *args: str) -> str:
    done = subprocess.run(["pgbench", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", *args, "postgres"],
                          capture_output=True, text=True, check=True)
    return done.stdout


def one_run(bundle: Path, work: Path, accel: str, seconds: int) -> dict:
    port = free_port()
    env = dict(os.environ, CVMIFY_STATE_DIR=str(tempfile.mkdtemp(dir=work)))
    proc = subprocess.Popen([cvmify_bin(), "run", str(bundle), "--accel", accel, "--memory", MEMORY,
                             "-v", f"pg:{DATA}", "-p", f"{port}:5432", "--", "-c", SERVER],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while subprocess.run(psql_argv(port, "select 1"), capture_output=True).returncode != 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the guest postgres never answered")
            time.sleep(1)
        pgbench(port, "-i", "-q", "-s", "1")
        out = pgbench(port, "-c", "4", "-j", "2", "-T", str(seconds))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    return {"tps": float(re.search(r"tps = ([\d.]+)", out)[1]),
            "latency_ms": float(re.search(r"latency average = ([\d.]+) ms", out)[1]),
            "transactions": int(re.search(r"actually processed: (\d+)", out)[1]),
            "load": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--accel", default="tcg")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cvmify-pgbench-") as tmp:
        work = Path(tmp)
        bundle = build_bundle(work)
        runs = [one_run(bundle, work, args.accel, args.seconds) for _ in range(args.runs)]
    if args.json:
        print(json.dumps(runs, indent=2))
        return
    for n, run in enumerate(runs, 1):
        print(f"run {n}: {run['tps']:.1f} tps, {run['latency_ms']:.1f} ms average latency, "
              f"{run['transactions']} transactions, load {run['load']:.1f}")
    print(f"median: {statistics.median(r['tps'] for r in runs):.1f} tps, "
          f"{statistics.median(r['latency_ms'] for r in runs):.1f} ms")


if __name__ == "__main__":
    main()
