"""PostgreSQL on a persistent volume (issue 8: "a Debian postgres image
starting far enough to write its data directory"): Debian's postgres 15
runs initdb onto a fresh volume at the image's VOLUME (which the volume
takes over: owner postgres, mode 700), a second run finds the cluster
and its rows, and a run killed in the middle of a stream of committed
transactions keeps every transaction postgres reported committed (it
fdatasyncs its WAL before it reports a commit), after postgres' own crash
recovery.

postgres runs single-user (`postgres --single`) here; the server (the
postmaster, its backends and clients over sockets) is tested in
tests/test_postgres_server.py.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.guest import REPO_ROOT, RUN_TIMEOUT, build_bundle
from tests.test_volume_run import qemu_child

pytestmark = [pytest.mark.qemu, pytest.mark.docker, pytest.mark.slow]

DATA = "/var/lib/postgresql/data"
MANIFEST = {"libos": {"entrypoint": "/bin/sh"},
            "loader": {"argv": ["/bin/sh", "-c", "exit 3"], "insecure__use_cmdline_argv": True}}
MEMORY = "1G"

INITDB = f"""set -e
initdb -D {DATA} >/tmp/initdb.log 2>&1 || {{ tail -20 /tmp/initdb.log; exit 1; }}
stat -c '%U %a' {DATA}
printf '%s\\n' "create table t (k int primary key, v text);" \\
    "insert into t select g, md5(g::text) from generate_series(1, 1000) g;" |
  postgres --single -D {DATA} postgres >/dev/null
echo initialized"""

# One statement a line; postgres prints each result before it reads the
# next line, so "committed = N" is out only after insert N committed.
STREAM = """i=1000
while :; do
  i=$((i + 1))
  echo "insert into t values ($i, 'streamed');"
  echo "select $i as committed;"
done | postgres --single -D %s postgres""" % DATA

COUNT = f"""echo "select count(*) as rows, max(k) as top, sum(k) as total from t;" |
  postgres --single -D {DATA} postgres"""


@pytest.fixture(scope="module")
def bundle(image_tag, kernel, tmp_path_factory) -> Path:
    return build_bundle(image_tag("postgres"), kernel, tmp_path_factory.mktemp("postgres"), MANIFEST)


@pytest.fixture
def state(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CVMIFY_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def argv(bundle: Path, script: str) -> list[str]:
    return [sys.executable, "-m", "cvmify", "run", str(bundle), "--accel", "tcg", "--memory", MEMORY,
            "-v", f"pg:{DATA}", "--", "-c", script]


def sh(bundle: Path, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv(bundle, script), capture_output=True, text=True, timeout=RUN_TIMEOUT,
                          cwd=REPO_ROOT)


def values(out: str) -> dict[str, int]:
    """The columns single-user postgres printed: `1: name = "value" (...)`."""
    return {m[1]: int(m[2]) for m in re.finditer(r'^\s*\d+: (\w+) = "(-?\d+)"', out, re.M)}


def initialize(bundle: Path) -> None:
    first = sh(bundle, INITDB)
    assert first.returncode == 0, first.stdout + first.stderr
    # The fresh volume took the image directory's owner and mode.
    assert first.stdout.split("\n")[:2] == ["postgres 700", "initialized"], first.stdout


def test_postgres_cluster_on_a_volume_across_runs(bundle, state):
    initialize(bundle)
    second = sh(bundle, COUNT)
    assert second.returncode == 0, second.stdout + second.stderr
    assert values(second.stdout) == {"rows": 1000, "top": 1000, "total": 500500}, second.stdout


def test_postgres_keeps_every_reported_commit_when_killed(bundle, state):
    initialize(bundle)
    proc = subprocess.Popen(argv(bundle, STREAM), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=REPO_ROOT)
    qemu = qemu_child(proc.pid, time.monotonic() + RUN_TIMEOUT)
    reported = 0
    seen = ""
    while reported < 1100:
        line = proc.stdout.readline()
        assert line, seen[-2000:] + proc.stderr.read()
        seen += line
        found = re.search(r'committed = "(\d+)"', line)
        reported = int(found[1]) if found else reported
    os.kill(qemu, signal.SIGKILL)  # somewhere in the next transaction
    proc.communicate(timeout=60)
    assert proc.returncode == 12  # guest failure: QEMU died without a status
    check = sh(bundle, COUNT)
    assert check.returncode == 0, check.stdout + check.stderr
    got = values(check.stdout)
    # Every reported commit is there, and nothing but whole transactions.
    assert got["rows"] == got["top"] >= reported, check.stdout
    assert got["total"] == got["top"] * (got["top"] + 1) // 2, check.stdout
