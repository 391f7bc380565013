"""Containers: `cvmify run -d` and `--name`, `ps`, `logs`, `stop`, `rm`,
on real guests, with the state directory redirected to tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cvmify.containers.store import Store, check_name, process_alive
from cvmify.errors import ExitCode, NoSuchContainerError, UsageError
from tests.guest import REPO_ROOT, RUN_TIMEOUT, build_bundle

TRAPPING = "echo started; trap 'echo got TERM; exit 3' TERM; while true; do sleep 1; done"
STUBBORN = "echo started; exec sleep 1000"


def cli(state: Path, *args: str, timeout: int = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    env = dict(os.environ, CVMIFY_STATE_DIR=str(state))
    return subprocess.run([sys.executable, "-m", "cvmify", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=REPO_ROOT)


def wait_for_log(state: Path, name: str, text: str) -> None:
    for _ in range(RUN_TIMEOUT * 5):  # a guard against a hang, not a timing check
        if text in cli(state, "logs", name).stdout:
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared in the logs of {name}")


@pytest.fixture(scope="module")
def bundles(busybox_image, kernel, tmp_path_factory) -> dict[str, Path]:
    def shell(script):
        return {"loader": {"argv": ["/bin/sh", "-c", script]}}

    return {name: build_bundle(busybox_image, kernel, tmp_path_factory.mktemp(name), shell(script))
            for name, script in (("trapping", TRAPPING), ("stubborn", STUBBORN),
                                 ("quick", "echo out; echo err >&2; exit 4"))}


def test_detached_run_ps_logs_stop_rm(bundles, tmp_path):
    state = tmp_path / "state"
    started = cli(state, "run", "-d", "--name", "web", str(bundles["trapping"]), "--accel", "tcg")
    assert started.returncode == 0, started.stderr
    cid = started.stdout.strip()
    assert len(cid) == 64 and int(cid, 16) >= 0

    ps = cli(state, "ps")
    assert ps.stdout.splitlines()[1].split()[:3] == [cid[:12], "web", "Up"], ps.stdout
    wait_for_log(state, "web", "started")

    stopped = cli(state, "stop", cid[:8])  # an id prefix names it too
    assert (stopped.returncode, stopped.stdout) == (0, f"{cid[:8]}\n"), stopped.stderr
    assert cli(state, "logs", "web").stdout == "started\ngot TERM\n"
    listed = json.loads(cli(state, "ps", "-a", "--json").stdout)["result"]["containers"]
    assert [(c["name"], c["state"], c["exit_code"]) for c in listed] == [("web", "exited", 3)]
    assert cli(state, "ps").stdout.splitlines()[1:] == []

    assert cli(state, "rm", "web").returncode == 0
    gone = cli(state, "logs", "web")
    assert gone.returncode == ExitCode.NO_SUCH_CONTAINER
    assert gone.stderr.strip() == "cvmify: error: no such container: web"


def test_stop_kills_an_app_that_ignores_the_signal(bundles, tmp_path):
    state = tmp_path / "state"
    cli(state, "run", "-d", "--name", "stubborn", "--stop-timeout", "60", str(bundles["stubborn"]), "--accel", "tcg")
    wait_for_log(state, "stubborn", "started")
    record = Store(state).find("stubborn")
    assert cli(state, "stop", "-t", "1", "stubborn").returncode == 0
    assert not process_alive(record.pid, record.pid_start)
    (listed,) = json.loads(cli(state, "ps", "-a", "--json").stdout)["result"]["containers"]
    assert (listed["state"], listed["exit_code"]) == ("exited", 137)


def test_rm_of_a_running_container_needs_force(bundles, tmp_path):
    state = tmp_path / "state"
    cli(state, "run", "-d", "--name", "busy", str(bundles["stubborn"]), "--accel", "tcg")
    refused = cli(state, "rm", "busy")
    assert refused.returncode == ExitCode.USAGE and "is running" in refused.stderr
    record = Store(state).find("busy")
    assert cli(state, "rm", "-f", "busy").returncode == 0
    assert not process_alive(record.pid, record.pid_start)
    assert Store(state).all() == []


def test_named_foreground_run_keeps_its_logs_and_status(bundles, tmp_path):
    state = tmp_path / "state"
    run = cli(state, "run", "--name", "once", str(bundles["quick"]), "--accel", "tcg")
    assert (run.returncode, run.stdout) == (4, "out\n")
    assert "err\n" in run.stderr
    assert cli(state, "logs", "once").stdout == "out\n"
    (listed,) = json.loads(cli(state, "ps", "-a", "--json").stdout)["result"]["containers"]
    assert (listed["state"], listed["exit_code"], listed["detached"]) == ("exited", 4, False)
    taken = cli(state, "run", "--name", "once", str(bundles["quick"]), "--accel", "tcg")
    assert taken.returncode == ExitCode.USAGE and "exists" in taken.stderr


def test_run_d_json_and_refusals(bundles, tmp_path):
    state = tmp_path / "state"
    out = cli(state, "run", "-d", "--json", str(bundles["quick"]), "--accel", "tcg")
    envelope = json.loads(out.stdout)
    assert envelope["ok"] and envelope["result"]["name"].startswith("cvmify-")
    assert cli(state, "run", "--json", str(bundles["quick"])).returncode == ExitCode.USAGE
    assert cli(state, "run", "-d", "-i", str(bundles["quick"])).returncode == ExitCode.USAGE


def test_store_names_and_lookup(tmp_path):
    store = Store(tmp_path)
    a = store.create("alpha", tmp_path, ["run"], True, 10, "SIGTERM")
    with pytest.raises(UsageError, match="exists"):
        store.create("alpha", tmp_path, ["run"], True, 10, "SIGTERM")
    assert store.find("alpha").id == a.id and store.find(a.id[:5]).id == a.id
    with pytest.raises(NoSuchContainerError):
        store.find("beta")
    for bad in ("", "-x", "a b", "a/b", "é", "x" * 65):
        with pytest.raises(UsageError):
            check_name(bad)
