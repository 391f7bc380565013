"""sqlite3 (Python's module over Debian's libsqlite3) on the guest's file
systems: the default rollback journal and WAL, on /tmp (tmpfs) and on the
writable root (the overlay), with a second process contending for the
database. This needs fcntl record locks between processes, fsync,
ftruncate, and for WAL a writable MAP_SHARED mapping of the -shm file
(issue 8: `disk I/O error` before).
"""

from __future__ import annotations

import pytest

from tests.guest import build_and_run, program

pytestmark = [pytest.mark.qemu, pytest.mark.docker, pytest.mark.slow]

SQLITE_SCRIPT = r"""
import os, sqlite3, sys

def run(path, mode):
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    db = sqlite3.connect(path, timeout=0)
    got_mode = db.execute(f"pragma journal_mode={mode}").fetchone()[0]
    db.execute("create table t (k integer primary key, v text)")
    with db:
        db.executemany("insert into t (v) values (?)", [(f"row {i}",) for i in range(1000)])
    # Another process writes while this one keeps its connection open.
    pid = os.fork()
    if pid == 0:
        child = sqlite3.connect(path, timeout=5)
        with child:
            child.execute("insert into t (v) values ('from the child')")
        child.close()
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
    count, last = db.execute("select count(*), max(v) from t").fetchone()
    # A write transaction here locks the other process out (timeout 0).
    db.execute("begin immediate")
    pid = os.fork()
    if pid == 0:
        other = sqlite3.connect(path, timeout=0)
        try:
            other.execute("insert into t (v) values ('must not happen')")
            other.commit()
            os._exit(1)
        except sqlite3.OperationalError as e:
            os._exit(0 if "locked" in str(e) else 2)
    _, status = os.waitpid(pid, 0)
    db.rollback()
    integrity = db.execute("pragma integrity_check").fetchone()[0]
    db.close()
    print(f"{path} {got_mode} rows={count} last={last!r} locked_out={status == 0} {integrity}")

for where in ("/tmp/db.sqlite", "/var/lib/db.sqlite"):
    for mode in ("delete", "wal"):
        run(where, mode)
"""


def test_sqlite_journal_and_wal_on_tmpfs_and_overlay(python3_image, kernel, tmp_path):
    result = build_and_run(python3_image, kernel, tmp_path,
                           program("/usr/bin/python3", "-c", SQLITE_SCRIPT))
    assert result.returncode == 0, result.stdout + result.stderr
    expected = [f"{where} {mode} rows=1001 last='row 999' locked_out=True ok"
                for where in ("/tmp/db.sqlite", "/var/lib/db.sqlite")
                for mode in ("delete", "wal")]
    assert result.stdout.splitlines() == expected
