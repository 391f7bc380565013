"""Fuzzing, a short run of each kind (docs/fuzzing.md has the long runs).

- The host-buildable parsers of host- and app-controlled input, under
  libFuzzer with ASan and UBSan (`make -C kernel fuzz-run`, Debian's
  clang): the virtqueue used ring, config.bin and the overrides, the
  cvmfs superblock/inode/directory decoders, whole authentic-but-malformed
  cvmfs images, the ELF parser, the TDX VMCALL and #VE checks.
- The syscall layer from inside the guest: kernel/tests/guest/sysfuzz.c
  makes random syscalls with hostile arguments (kernel and non-canonical
  pointers, pointers at the edge of a mapping, garbage rt_sigreturn
  frames) in child processes; the kernel must answer all of them and
  neither panic nor hang.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import KERNEL_DIR
from tests.guest import build_and_run, program
from tests.images import cache

pytestmark = [pytest.mark.slow]

FUZZ_TARGETS = ("config", "cvmfs_image", "cvmfs_parse", "elf", "tdx", "virtqueue")
SHORT_SECONDS = 10


@pytest.fixture(scope="module")
def fuzz_run_output() -> str:
    if shutil.which("clang") is None:
        pytest.fail("clang is not installed (scripts/setup.sh installs it)", pytrace=False)
    with cache.build_lock("kernel-fuzz"):
        result = subprocess.run(
            ["nice", "make", "-C", str(KERNEL_DIR), "fuzz-run", f"FUZZ_SECONDS={SHORT_SECONDS}"],
            capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, "\n".join(output.splitlines()[-60:])
    return output


def test_libfuzzer_targets_find_no_crash(fuzz_run_output):
    assert "fuzz-run: no crashes" in fuzz_run_output


@pytest.mark.parametrize("target", FUZZ_TARGETS)
def test_libfuzzer_target_ran(fuzz_run_output, target):
    """Each target really executed inputs and grew a corpus (a fuzzer that
    ran nothing must not pass)."""
    m = re.search(rf"fuzz {target}: (\d+) runs, cov (\d+), ft \d+, corpus (\d+)", fuzz_run_output)
    assert m, fuzz_run_output[-2000:]
    runs, cov, corpus = (int(x) for x in m.groups())
    assert runs > 200 and cov > 10 and corpus > 1, m.group(0)


def test_guest_syscall_fuzzer_kernel_survives(guest_image, kernel, tmp_path):
    run = build_and_run(guest_image, kernel, tmp_path, program("/sysfuzz", "7", "20000"))
    assert run.returncode == 0, run.stdout + run.stderr
    m = re.search(r"sysfuzz: seed 7, 20000 calls in (\d+) children: (\d+) exited, (\d+) died",
                  run.stdout)
    assert m, run.stdout + run.stderr
    children, exited, died = (int(x) for x in m.groups())
    assert children == 100 and exited + died <= children
    assert "panic" not in run.stderr
