"""The compatibility suite: every case under tests/compat/cases/ runs under
`docker run` and under `cvmify build` + `cvmify run`; stdout (normalised
only where the case says why) and the exit status must match.

Cases listed in tests/compat/known.toml are strict xfails: they fail today
for a known reason, and the day one passes the suite fails until its entry
is removed (docs/compat.md lists the same differences with their causes).

The selected cases run CVMIFY_COMPAT_JOBS at a time (default 2: one QEMU
per core) in a pool started by the first case; each test then waits for
its own result, so `-k NAME` still runs just that case.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from tests.compat.cases import load_cases
from tests.compat.known import load_known
from tests.compat.runner import Comparison, run_case

CASES = load_cases()
KNOWN = load_known()
TEST_NAME = "test_compat_case"


def case_params():
    for name in CASES:
        marks = []
        if name in KNOWN:
            # Only a difference is expected; a broken reference or harness
            # (any other exception) is still an error.
            marks.append(pytest.mark.xfail(strict=True, raises=AssertionError,
                                           reason=KNOWN[name].mark_reason()))
        yield pytest.param(name, marks=marks, id=name)


def jobs() -> int:
    return max(1, int(os.environ.get("CVMIFY_COMPAT_JOBS", min(2, os.cpu_count() or 1))))


@pytest.fixture(scope="session")
def compat_runs(request, docker_client, kernel, tmp_path_factory):
    """name -> Comparison, computed in a pool for every selected case."""
    workroot = tmp_path_factory.mktemp("compat")
    pool = ThreadPoolExecutor(max_workers=jobs(), thread_name_prefix="compat")
    futures: dict[str, Future] = {}

    def submit(name: str) -> Future:
        if name not in futures:
            futures[name] = pool.submit(run_case, CASES[name], kernel, workroot / name)
        return futures[name]

    for item in request.session.items:
        if getattr(item, "originalname", "") == TEST_NAME and hasattr(item, "callspec"):
            submit(item.callspec.params["case_name"])
    yield lambda name: submit(name).result()
    pool.shutdown(wait=False, cancel_futures=True)


@pytest.mark.docker
@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.parametrize("case_name", list(case_params()))
def test_compat_case(case_name: str, compat_runs) -> None:
    comparison: Comparison = compat_runs(case_name)
    assert not comparison.differences(), comparison.report()
