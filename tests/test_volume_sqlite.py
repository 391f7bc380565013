"""sqlite3 on a persistent volume (issue 8): the default rollback journal
and WAL (a writable MAP_SHARED -shm mapping, fcntl locks between two
processes, fsync), the database surviving the next run, and a run killed
in the middle of a stream of committed transactions keeping every
transaction sqlite reported committed, with an intact database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.guest import REPO_ROOT, RUN_TIMEOUT, build_bundle
from tests.test_volume_run import qemu_child

pytestmark = [pytest.mark.qemu, pytest.mark.docker, pytest.mark.slow]

PYTHON = {"libos": {"entrypoint": "/usr/bin/python3"},
          "loader": {"argv": ["/usr/bin/python3", "-c", "pass"], "insecure__use_cmdline_argv": True},
          "fs": {"host_volumes": ["/data"]}}

FIRST = r"""
import os, sqlite3

def run(path, mode):
    db = sqlite3.connect(path, timeout=0)
    got = db.execute(f"pragma journal_mode={mode}").fetchone()[0]
    db.execute("create table t (k integer primary key, v text)")
    for batch in range(10):
        with db:
            db.executemany("insert into t (v) values (?)", [(f"row {batch}-{i}",) for i in range(100)])
    pid = os.fork()  # another process writes through its own connection
    if pid == 0:
        child = sqlite3.connect(path, timeout=5)
        with child:
            child.execute("insert into t (v) values ('from the child')")
        child.close()
        os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    db.execute("begin immediate")  # and is locked out while this one writes
    pid = os.fork()
    if pid == 0:
        other = sqlite3.connect(path, timeout=0)
        try:
            other.execute("insert into t (v) values ('must not happen')")
            other.commit()
            os._exit(1)
        except sqlite3.OperationalError as e:
            os._exit(0 if "locked" in str(e) else 2)
    locked_out = os.waitpid(pid, 0)[1] == 0
    db.rollback()
    count = db.execute("select count(*) from t").fetchone()[0]
    print(path, got, count, locked_out, db.execute("pragma integrity_check").fetchone()[0])
    db.close()

run("/data/journal.db", "delete")
run("/data/wal.db", "wal")
"""

SECOND = r"""
import sqlite3
for path in ("/data/journal.db", "/data/wal.db"):
    db = sqlite3.connect(path)
    mode = db.execute("pragma journal_mode").fetchone()[0]
    with db:
        db.execute("insert into t (v) values ('second run')")
    count = db.execute("select count(*) from t").fetchone()[0]
    print(path, mode, count, db.execute("pragma integrity_check").fetchone()[0])
"""

STREAM = r"""
import sqlite3, sys
db = sqlite3.connect("/data/stream.db")
db.execute("pragma journal_mode=wal")
db.execute("create table if not exists t (k integer primary key, v blob)")
n = db.execute("select count(*) from t").fetchone()[0]
while True:
    with db:
        db.executemany("insert into t (v) values (?)", [(bytes(500),)] * 20)
    n += 20
    print("committed", n, flush=True)
"""

CHECK = r"""
import sqlite3
db = sqlite3.connect("/data/stream.db")
print(db.execute("select count(*) from t").fetchone()[0], db.execute("pragma integrity_check").fetchone()[0])
"""


@pytest.fixture(scope="module")
def bundle(python3_image, kernel, tmp_path_factory) -> Path:
    return build_bundle(python3_image, kernel, tmp_path_factory.mktemp("sqlite"), PYTHON)


@pytest.fixture
def state(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CVMIFY_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def argv(bundle: Path, script: str) -> list[str]:
    return [sys.executable, "-m", "cvmify", "run", str(bundle), "--accel", "tcg", "-v", "db:/data",
            "--", "-c", script]


def python(bundle: Path, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv(bundle, script), capture_output=True, text=True, timeout=RUN_TIMEOUT,
                          cwd=REPO_ROOT)


def test_sqlite_journal_and_wal_on_a_volume_across_runs(bundle, state):
    first = python(bundle, FIRST)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.splitlines() == ["/data/journal.db delete 1001 True ok",
                                         "/data/wal.db wal 1001 True ok"]
    second = python(bundle, SECOND)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.splitlines() == ["/data/journal.db delete 1002 ok", "/data/wal.db wal 1002 ok"]


def test_sqlite_keeps_every_reported_commit_when_killed(bundle, state):
    proc = subprocess.Popen(argv(bundle, STREAM), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=REPO_ROOT)
    qemu = qemu_child(proc.pid, time.monotonic() + RUN_TIMEOUT)
    reported = 0
    while reported < 200:
        line = proc.stdout.readline()
        assert line.startswith("committed"), line + proc.stderr.read()
        reported = int(line.split()[1])
    os.kill(qemu, signal.SIGKILL)  # somewhere in the next transaction
    proc.communicate(timeout=60)
    check = python(bundle, CHECK)
    assert check.returncode == 0, check.stdout + check.stderr
    count, integrity = check.stdout.split()
    assert integrity == "ok" and int(count) >= reported


MMAP_WRITE = r"""
import mmap, os, signal
fd = os.open("/data/mapped", os.O_RDWR | os.O_CREAT, 0o600)
os.ftruncate(fd, 3 * 4096)
m = mmap.mmap(fd, 3 * 4096, mmap.MAP_SHARED)
m[0:5] = b"first"
m.flush()                      # msync(MS_SYNC): committed
m[4096:4102] = b"second"       # dirtied again after the commit unmapped it
m.flush()
m[8192:8197] = b"never"        # not synced: the kill below loses it
print("synced", flush=True)
signal.pause()
"""

MMAP_READ = r"""
with open("/data/mapped", "rb") as f:
    data = f.read()
print(data[0:5], data[4096:4102], data[8192:8197])
"""


def test_shared_mappings_of_volume_files(guest_image, kernel, tmp_path, state):
    """Locks, fallocate, truncation of mapped files and writable MAP_SHARED
    (filesem.c, the same checks as on tmpfs and the overlay), on a volume."""
    manifest = {"libos": {"entrypoint": "/filesem"}, "loader": {"argv": ["/filesem", "/data"]},
                "fs": {"host_volumes": ["/data"]}}
    sem = build_bundle(guest_image, kernel, tmp_path, manifest)
    run = subprocess.run([sys.executable, "-m", "cvmify", "run", str(sem), "--accel", "tcg", "-v", "sem:/data"],
                         capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=REPO_ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == "filesem: 0 failure(s)", run.stdout


def test_msync_commits_a_shared_mapping(bundle, state):
    proc = subprocess.Popen(argv(bundle, MMAP_WRITE), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=REPO_ROOT)
    qemu = qemu_child(proc.pid, time.monotonic() + RUN_TIMEOUT)
    line = proc.stdout.readline()
    assert line == "synced\n", line + proc.stderr.read()
    os.kill(qemu, signal.SIGKILL)
    proc.communicate(timeout=60)
    read = python(bundle, MMAP_READ)
    assert read.returncode == 0, read.stderr
    assert read.stdout == "b'first' b'second' b'\\x00\\x00\\x00\\x00\\x00'\n"


CLI_FIRST = """set -e
sqlite3 /data/j.db 'create table t (k text primary key, v integer);' "insert into t values ('a', 1), ('b', 2);"
sqlite3 /data/w.db 'pragma journal_mode=wal;' 'create table t (k text primary key, v integer);' \\
    "insert into t values ('a', 1), ('b', 2);"
echo written"""

CLI_SECOND = """set -e
for db in /data/j.db /data/w.db; do
  sqlite3 "$db" "insert into t values ('c', 3);" 'pragma journal_mode;' 'select group_concat(k), sum(v) from t;' \\
      'pragma integrity_check;'
done"""


def test_sqlite3_cli_journal_and_wal_on_a_volume(image_tag, kernel, tmp_path, state):
    """The sqlite3 command (Debian's, from the compatibility suite's tools
    image), as issue 8 names it: the default journal and WAL on a volume,
    the second run continuing both databases."""
    manifest = {"libos": {"entrypoint": "/bin/bash"},
                "loader": {"argv": ["/bin/bash", "-c", "exit 3"], "insecure__use_cmdline_argv": True},
                "fs": {"host_volumes": ["/data"]}}
    cli = build_bundle(image_tag("compat-base-tools"), kernel, tmp_path, manifest)

    def bash(script: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cvmify", "run", str(cli), "--accel", "tcg", "-v", "cli:/data",
                               "--", "-c", script], capture_output=True, text=True, timeout=RUN_TIMEOUT,
                              cwd=REPO_ROOT)

    first = bash(CLI_FIRST)
    assert first.returncode == 0 and first.stdout.splitlines()[-1] == "written", first.stdout + first.stderr
    second = bash(CLI_SECOND)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.splitlines() == ["delete", "a,b,c|6", "ok", "wal", "a,b,c|6", "ok"]
