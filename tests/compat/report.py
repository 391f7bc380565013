"""Run compatibility cases outside pytest and print what differs: the tool
for triage and for the figures in docs/compat.md.

    python -m tests.compat.report                    # every case
    python -m tests.compat.report bash-jobs git-repo # just these
    python -m tests.compat.report --trace -v NAME    # with --trace and the diffs
    python -m tests.compat.report --json out.json    # machine-readable results
    python -m tests.compat.report --trace --missing  # which missing syscalls each case met

Exit status 0 when every case either matches docker or is listed in
known.toml and still differs (the pytest rule), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.compat.cases import load_cases
from tests.compat.known import load_known
from tests.compat.runner import Comparison, run_case

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_KERNEL = REPO_ROOT / "kernel" / "build" / "cvmify-kernel.elf"


def verdict(comparison: Comparison, known: bool) -> str:
    same = not comparison.differences()
    if same:
        return "XPASS" if known else "pass"
    return "xfail" if known else "FAIL"


# The host's x86-64 syscall numbers (linux-libc-dev), to name what the
# kernel's trace calls "unknown" (numbers its table has no entry for).
UNISTD = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")


def syscall_names(header: Path = UNISTD) -> dict[int, str]:
    names = {}
    if header.is_file():
        for match in re.finditer(r"^#define __NR_(\w+) (\d+)$", header.read_text(), re.MULTILINE):
            names[int(match.group(2))] = match.group(1)
    return names


def missing_syscalls(results: dict, names: dict[int, str] | None = None
                     ) -> dict[tuple[int, str], set[str]]:
    """(number, name) -> cases whose --trace summary lists it as missing
    (`cvmify: trace: syscall NR NAME COUNT missing`); an `unknown` name is
    replaced by the host's name for the number, marked with a `?`."""
    names = syscall_names() if names is None else names
    found: dict[tuple[int, str], set[str]] = {}
    for case, result in results.items():
        for line in result.get("cvmify", {}).get("stderr", "").splitlines():
            words = line.split()
            if line.startswith("cvmify: trace: syscall") and words[-1] == "missing":
                number, name = int(words[3]), words[4]
                if name == "unknown" and number in names:
                    name = names[number] + "?"
                found.setdefault((number, name), set()).add(case)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare cases under docker and cvmify.")
    parser.add_argument("names", nargs="*", help="case names (default: all)")
    parser.add_argument("--kernel", type=Path,
                        default=Path(os.environ.get("CVMIFY_TEST_KERNEL", DEFAULT_KERNEL)))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--trace", action="store_true", help="run the guest with --trace")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each difference")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--missing", action="store_true",
                        help="list the missing syscalls the traces show (needs --trace)")
    args = parser.parse_args(argv)
    cases, known = load_cases(), load_known()
    names = args.names or list(cases)
    unknown = [n for n in names if n not in cases]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    workroot = Path(tempfile.mkdtemp(prefix="cvmify-compat-"))
    try:
        return run_all(args, cases, known, names, workroot)
    finally:
        shutil.rmtree(workroot, ignore_errors=True)


def run_all(args: argparse.Namespace, cases: dict, known: dict, names: list[str],
            workroot: Path) -> int:
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {n: pool.submit(run_case, cases[n], args.kernel, workroot / n, args.trace)
                   for n in names}
        results = {}
        for name, future in futures.items():
            try:
                comparison = future.result()
            except Exception as exc:  # a broken case: report it and go on
                print(f"{name:26} ERROR  {exc}", flush=True)
                results[name] = {"verdict": "ERROR", "error": str(exc)}
                continue
            word = verdict(comparison, name in known)
            print(f"{name:26} {word:6} docker {comparison.docker.status():8} "
                  f"cvmify {comparison.guest.status():12} {comparison.guest.seconds:6.1f}s",
                  flush=True)
            if args.verbose and comparison.differences():
                print("    " + comparison.report().replace("\n", "\n    "), flush=True)
            results[name] = {
                "verdict": word, "differences": comparison.differences(),
                "docker": vars(comparison.docker), "cvmify": vars(comparison.guest),
            }
    counts = {}
    for result in results.values():
        counts[result["verdict"]] = counts.get(result["verdict"], 0) + 1
    print("summary: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())))
    if args.missing:
        for (number, name), users in sorted(missing_syscalls(results).items()):
            print(f"missing {number:3} {name:18} {len(users):2} cases: {', '.join(sorted(users))}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True))
    bad = counts.get("FAIL", 0) + counts.get("XPASS", 0) + counts.get("ERROR", 0)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
