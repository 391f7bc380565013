"""Conformance run: CPython's own regression tests (Debian's
libpython3.11-testsuite) under `docker run` and in the cvmify guest.

Each selected test module runs as `python3 -m test -v MODULE`:
- docker first: all modules in one container (`--network none`), one
  after the other, each under coreutils' `timeout`;
- then cvmify: one bundle of the same image (argv[1..] from the command
  line, which this run's manifest allows), one `cvmify run` per module,
  --jobs at a time, each stopped after SLOWDOWN times its docker time
  (at least MIN_TIMEOUT, at most --timeout seconds).

Counted per module from unittest's verbose lines (`test_x (id) ... ok`):
ok, fail, error, skipped; plus how the run ended (regrtest's verdict
SUCCESS/FAILURE, "crash" when it printed none, "timeout"). The pass rate
counts, by test id, the tests that passed under docker and also passed in
the guest.

Too slow for every CI run (one to two hours on 2 cores under TCG);
results go to docs/compat.md ("Conformance").

Usage: python benchmarks/conformance.py [--modules test_os,test_stat]
         [--jobs 2] [--timeout 900] [--json out.json] [--logs DIR]
         [--trace] [--resume]

--resume (with --logs) carries on a run that was stopped: the docker side
is read back from DIR/docker.log, and every module whose guest log ends
with its exit line is read back instead of run again.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from tests.compat.runner import TIMED_OUT, run_bounded  # noqa: E402

# Modules that exercise the OS interface and make sense without a network
# (test_sqlite3 is not in Debian's package: the image has no _sqlite3).
MODULES = [
    "test_os", "test_posix", "test_signal", "test_subprocess", "test_threading",
    "test_thread", "test_threading_local", "test_select", "test_selectors", "test_poll",
    "test_epoll", "test_fcntl", "test_fileio", "test_file", "test_io", "test_tempfile",
    "test_shutil", "test_stat", "test_time", "test_mmap", "test_socket", "test_socketpair",
    "test_resource", "test_pwd", "test_grp", "test_glob", "test_pathlib", "test_posixpath",
    "test_genericpath", "test_fnmatch", "test_fileinput", "test_popen", "test_wait3",
    "test_wait4", "test_fork1", "test_sched", "test_platform", "test_errno",
    "test_zlib", "test_gzip", "test_tarfile", "test_hashlib", "test_queue",
    "test_concurrent_futures", "test_json", "test_re", "test_locale",
    "test_utf8_mode", "test_sys",
]
MODULE_TIMEOUT = 900  # at most, seconds per module in the guest
DOCKER_TIMEOUT = 600  # seconds per module under docker
# TCG runs the guest some 10-30 times slower than the host runs docker:
# a module gets SLOWDOWN times its docker time, at least MIN_TIMEOUT.
SLOWDOWN = 30
MIN_TIMEOUT = 240
IMAGE = "compat-base-pytests"
START_RE = re.compile(r"^(test\w*) \(([\w.]+)\)")
STATUS_RE = re.compile(r"(?:\.\.\. ?|^)(ok|FAIL|ERROR|skipped|expected failure|"
                       r"unexpected success)\b")
VERDICT_RE = re.compile(r"^Tests? result: (\w+)", re.MULTILINE)
MARK = "@@@compat"
# Last line of a guest log: how the run ended (status, seconds), so that
# --resume can count a finished module without running it again.
EXIT_RE = re.compile(r"^--- exit (-?\d+) after ([\d.]+) s ---$", re.MULTILINE)
PASSED = ("ok", "expected failure")


@dataclass
class ModuleResult:
    ok: int = 0
    fail: int = 0
    error: int = 0
    skipped: int = 0
    ended: str = "crash"
    seconds: float = 0.0
    passed: list[str] = field(default_factory=list)  # ids of the tests that passed


def test_statuses(output: str) -> dict[str, str]:
    """Test id -> status word from unittest's verbose lines. The status is
    on the test's own line after ' ... ', or on a later line when the test
    printed something or has a docstring (unittest shows its first line)."""
    statuses: dict[str, str] = {}
    current = None
    for line in output.splitlines():
        start = START_RE.match(line)
        if start:
            current = start.group(2)
            line = line[start.end():]
        if current is None:
            continue
        found = STATUS_RE.search(line)
        if found:
            statuses[current] = found.group(1)
            current = None
    return statuses


def parse(output: str, status: int, seconds: float) -> ModuleResult:
    result = ModuleResult(seconds=round(seconds, 1))
    for test, word in test_statuses(output).items():
        if word in PASSED:
            result.ok += 1
            result.passed.append(test)
        elif word in ("FAIL", "unexpected success"):
            result.fail += 1
        elif word == "ERROR":
            result.error += 1
        else:
            result.skipped += 1
    verdicts = VERDICT_RE.findall(output)
    if status == TIMED_OUT or status == 124:
        result.ended = "timeout"
    elif verdicts:
        result.ended = verdicts[-1]
    return result


def docker_side(tag: str, modules: list[str], timeout: int, logs: Path) -> dict[str, ModuleResult]:
    """Every module in one container, under the host's kernel."""
    import docker

    script = "".join(
        f'echo "{MARK} start {m} $(date +%s)"; timeout {timeout} python3 -m test -v {m} 2>&1; '
        f'echo "{MARK} end {m} $? $(date +%s)"; '
        for m in modules)
    client = docker.from_env(timeout=timeout * len(modules) + 600)
    container = client.containers.run(tag, ["sh", "-c", script], detach=True,
                                      network_mode="none")
    try:
        container.wait()
        output = container.logs(stdout=True, stderr=True).decode(errors="replace")
    finally:
        container.remove(force=True)
    (logs / "docker.log").write_text(output)
    return docker_results(output, modules)


def docker_results(output: str, modules: list[str]) -> dict[str, ModuleResult]:
    """Per module, from the one container's output (MARK lines around each)."""
    results = {}
    for module in modules:
        part = re.search(rf"^{MARK} start {module} (\d+)\n(.*?)^{MARK} end {module} (\d+) (\d+)",
                         output, re.MULTILINE | re.DOTALL)
        if part is None:
            results[module] = ModuleResult(ended="missing")
            continue
        seconds = int(part.group(4)) - int(part.group(1))
        results[module] = parse(part.group(2), int(part.group(3)), seconds)
    return results


def build_bundle(tag: str, kernel: Path, workdir: Path) -> Path:
    manifest = workdir / "conformance.toml"
    manifest.write_text('[loader]\nargv = ["python3", "-m", "test"]\n'
                        "insecure__use_cmdline_argv = true\n")
    bundle = workdir / "bundle"
    subprocess.run([sys.executable, "-m", "cvmify", "build", f"docker-daemon:{tag}", "-o",
                    str(bundle), "--manifest", str(manifest), "--kernel", str(kernel),
                    "--force"], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return bundle


def guest_module(bundle: Path, module: str, timeout: int, logs: Path,
                 trace: bool = False) -> ModuleResult:
    start = time.monotonic()
    flags = ["--trace"] if trace else []
    status, out, err = run_bounded(
        [sys.executable, "-m", "cvmify", "run", str(bundle), "--accel", "tcg", "--memory", "1G",
         *flags, "--", "-m", "test", "-v", module], timeout)
    seconds = time.monotonic() - start
    (logs / f"guest-{module}.log").write_text(
        f"{out}\n--- stderr ---\n{err}\n--- exit {status} after {seconds:.1f} s ---\n")
    return parse(out + err, status, seconds)


def finished_guest_module(logs: Path, module: str) -> ModuleResult | None:
    """The result of an earlier run of this module, if its log is complete."""
    path = logs / f"guest-{module}.log"
    if not path.exists():
        return None
    text = path.read_text(errors="replace")
    end = EXIT_RE.search(text)
    if end is None:
        return None
    return parse(text[:end.start()], int(end.group(1)), float(end.group(2)))


def both_passed(docker: ModuleResult, guest: ModuleResult) -> int:
    """Tests that passed under docker and in the guest (by test id)."""
    return len(set(docker.passed) & set(guest.passed))


def guest_timeout(docker: ModuleResult, most: int) -> int:
    return int(min(most, max(MIN_TIMEOUT, SLOWDOWN * docker.seconds)))


def rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def table(modules: list[str], docker: dict, guest: dict) -> str:
    lines = ["| module | docker ok/fail/err/skip | guest ok/fail/err/skip | guest end "
             "| guest s | docker's passes that pass in the guest |",
             "| --- | --- | --- | --- | --- | --- |"]
    for m in modules:
        d, g = docker[m], guest[m]
        lines.append(f"| {m} | {d.ok}/{d.fail}/{d.error}/{d.skipped} {d.ended} "
                     f"| {g.ok}/{g.fail}/{g.error}/{g.skipped} | {g.ended} | {g.seconds:.0f} "
                     f"| {both_passed(d, g)}/{d.ok} ({rate(both_passed(d, g), d.ok)}) |")
    d_ok = sum(docker[m].ok for m in modules)
    both = sum(both_passed(docker[m], guest[m]) for m in modules)
    same = sum(1 for m in modules if guest[m].ended == docker[m].ended == "SUCCESS")
    lines.append(f"| **total** | {d_ok} passed | {sum(guest[m].ok for m in modules)} passed "
                 f"| {same}/{len(modules)} modules SUCCESS as under docker | "
                 f"| **{both}/{d_ok} ({rate(both, d_ok)})** |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", help="comma-separated test modules (default: MODULES)")
    parser.add_argument("--kernel", type=Path,
                        default=REPO / "kernel" / "build" / "cvmify-kernel.elf")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=MODULE_TIMEOUT)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--logs", type=Path, help="keep every module's output here")
    parser.add_argument("--trace", action="store_true",
                        help="run the guest with --trace (its summary ends each guest log)")
    parser.add_argument("--resume", action="store_true",
                        help="reuse docker.log and the finished guest logs in --logs")
    args = parser.parse_args(argv)
    if args.resume and not args.logs:
        parser.error("--resume needs --logs DIR (the stopped run's logs)")
    modules = args.modules.split(",") if args.modules else MODULES
    from tests.images import build as images

    tag = images.build_image(IMAGE)
    workdir = Path(tempfile.mkdtemp(prefix="cvmify-conformance-"))
    logs = args.logs or workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    docker_log = logs / "docker.log"
    if args.resume and docker_log.exists():
        docker = docker_results(docker_log.read_text(errors="replace"), modules)
    else:
        docker = docker_side(tag, modules, DOCKER_TIMEOUT, logs)
    done = {m: finished_guest_module(logs, m) for m in modules} if args.resume else {}
    todo = [m for m in modules if done.get(m) is None]
    bundle = build_bundle(tag, args.kernel, workdir) if todo else None
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {m: pool.submit(guest_module, bundle, m,
                                  guest_timeout(docker[m], args.timeout), logs, args.trace)
                   for m in todo}
        guest = {}
        for m in modules:
            guest[m] = done.get(m) or futures[m].result()
            print(f"{m:26} docker {docker[m].ok:4} ok {docker[m].seconds:5.0f}s  "
                  f"guest {guest[m].ok:4} ok {guest[m].ended:8} {guest[m].seconds:5.0f}s",
                  file=sys.stderr, flush=True)
    # The bundle is the image's size again: remove it, keep the logs.
    if args.logs:
        shutil.rmtree(workdir)
    elif bundle:
        shutil.rmtree(bundle)
    print(table(modules, docker, guest))
    print(f"\nlogs: {logs}")
    if args.json:
        args.json.write_text(json.dumps(
            {"docker": {m: asdict(r) for m, r in docker.items()},
             "guest": {m: asdict(r) for m, r in guest.items()}}, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
