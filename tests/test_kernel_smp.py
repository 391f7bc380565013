"""Several vCPUs: `cvmify run --cpus N` on multi-threaded TCG, where the
vCPUs really run in parallel on the host's cores.

The boot log counts the vCPUs that came online; kernel/tests/guest/smp.c
checks affinity, pinning, busy loops on every vCPU next to a sleeper,
pipes across vCPUs and a fork storm; and the sched, poll and fork
programs run again on several vCPUs as a short stress run (their
checks are the same as on one).
"""

from __future__ import annotations

import pytest

from tests.guest import boot_bundle, build_and_run, build_bundle, program

pytestmark = [pytest.mark.qemu, pytest.mark.slow]


def guest_checks_pass(run, name: str) -> None:
    failures = [line for line in run.stdout.splitlines() if line.startswith("FAIL")]
    assert failures == [], run.stdout
    assert f"{name}: 0 failure(s)" in run.stdout, run.stdout + run.stderr
    assert run.returncode == 0


def test_boot_brings_every_vcpu_online(guest_image, kernel, tmp_path):
    """Four vCPUs come up even on a two-core host (then only the
    affinity check runs: four busy vCPUs on two cores are slow)."""
    bundle = build_bundle(guest_image, kernel, tmp_path, program("/smp", "4", "affinity-only"))
    boot = boot_bundle(bundle, tmp_path, cpus=4)
    assert "smp: 4 of 4 vCPUs online" in boot.log, boot.log
    assert "smp: 0 failure(s)" in boot.stdout, boot.stdout + boot.log


@pytest.mark.parametrize("cpus", [1, 2, 3])
def test_smp_program(guest_image, kernel, tmp_path, cpus):
    run = build_and_run(guest_image, kernel, tmp_path, program("/smp", str(cpus)),
                        ("--cpus", str(cpus)))
    guest_checks_pass(run, "smp")


@pytest.mark.parametrize("name", ["sched", "poll", "fork", "threads", "cputime"])
def test_guest_programs_on_two_vcpus(guest_image, kernel, tmp_path, name):
    run = build_and_run(guest_image, kernel, tmp_path, program(f"/{name}"), ("--cpus", "2"))
    guest_checks_pass(run, name)
