"""The network fuzzers (kernel/tests/fuzz, libFuzzer with ASan and UBSan):
a short run of each in CI. The frame path runs from the virtio-net
driver's receive checks through lwIP; the ring fuzzer lies to the driver
about every ring entry and header. Long runs and their figures are in
docs/network.md."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import KERNEL_DIR, require_tools
from tests.images import cache

pytestmark = [pytest.mark.slow]

SECONDS = 20


def test_fuzzers_run_without_crashes():
    require_tools("clang", "make")
    with cache.build_lock("kernel-fuzz-net"):
        result = subprocess.run(["nice", "make", "-C", str(KERNEL_DIR), "fuzz-net-smoke",
                                 f"FUZZ_SECONDS={SECONDS}"], capture_output=True, text=True)
    output = result.stdout + result.stderr
    tail = "\n".join(output.splitlines()[-40:])
    assert result.returncode == 0, tail
    assert "fuzz-net-smoke: no crashes" in output
    runs = [int(n) for n in re.findall(r"stat::number_of_executed_units: (\d+)", output)]
    assert len(runs) == 2 and all(n > 1000 for n in runs), tail
