"""A kernel bug ends in a clear panic and a power off, never a hang.

Each test boots the real kernel under QEMU/TCG with the diagnostics-only
fw_cfg switch `opt/cvmify/selftest` (docs/boot-config.md), which makes the
kernel commit one deliberate bug right after its traps, CPU protections and
final page tables are up. The `cvmify: panic` line must name the fault, and
QEMU must exit 65 (isa-debug-exit 0x20): a triple fault would reset the
machine instead (QEMU exits 0 with -no-reboot) and a hang would hit the
guard timeout. Addresses in the panic line are checked against the ELF's
symbols, so the test knows the fault happened where the case put it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests.guest import EXIT_PANIC, boot_kernel

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

SELFTEST = "opt/cvmify/selftest"
PAGE = 4096
FAULT_FIELDS = re.compile(r"rip=([0-9a-f]+) cr2=([0-9a-f]+) err=([0-9a-f]+) rsp=([0-9a-f]+)$")


@dataclass(frozen=True)
class Symbol:
    start: int
    size: int

    def __contains__(self, addr: int) -> bool:
        return self.start <= addr < self.start + max(self.size, 1)


@pytest.fixture(scope="session")
def symbols(kernel) -> dict[str, Symbol]:
    with kernel.open("rb") as f:
        table = ELFFile(f).get_section_by_name(".symtab")
        return {s.name: Symbol(s["st_value"], s["st_size"]) for s in table.iter_symbols() if s.name}


@dataclass
class Fault:
    line: str
    rip: int
    cr2: int
    err: int
    rsp: int


def selftest_panic(kernel: Path, tmp_path: Path, case: bytes) -> str:
    """Boot with the selftest switch set to case; return the one panic line."""
    result = boot_kernel(kernel, tmp_path, {SELFTEST: case})
    panics = [l for l in result.control_lines() if l.startswith("cvmify: panic ")]
    assert len(panics) == 1, result.log
    assert result.returncode == EXIT_PANIC, result.log
    return panics[0]


def selftest_fault(kernel: Path, tmp_path: Path, case: str) -> Fault:
    result = boot_kernel(kernel, tmp_path, {SELFTEST: case.encode()})
    assert f"selftest: {case}" in result.log.splitlines(), result.log  # the case really ran
    panics = [l for l in result.control_lines() if l.startswith("cvmify: panic ")]
    assert len(panics) == 1, result.log
    assert result.returncode == EXIT_PANIC, result.log
    match = FAULT_FIELDS.search(panics[0])
    assert match, panics[0]
    rip, cr2, err, rsp = (int(g, 16) for g in match.groups())
    return Fault(panics[0], rip, cr2, err, rsp)


# -- faults the CPU reports -----------------------------------------------------


def test_null_write_is_a_page_fault_at_address_zero(kernel, tmp_path, symbols):
    fault = selftest_fault(kernel, tmp_path, "kernel-null-write")
    assert fault.line.startswith("cvmify: panic #PF page fault in kernel: null pointer write "), fault.line
    assert fault.cr2 == 0
    assert fault.err & 0b10, "the error code must say write"
    assert fault.rip in symbols["null_write"]


def test_write_to_kernel_text_is_a_wx_violation(kernel, tmp_path, symbols):
    fault = selftest_fault(kernel, tmp_path, "kernel-text-write")
    assert "#PF page fault in kernel: W^X violation (write to a read-only page)" in fault.line
    # The case writes to the first byte of another function.
    assert fault.cr2 == symbols["null_write"].start
    assert symbols["__text_start"].start <= fault.cr2 < symbols["__text_end"].start
    assert fault.err & 0b11 == 0b11, "present page, write access"


def test_executing_rodata_is_a_wx_violation(kernel, tmp_path, symbols):
    fault = selftest_fault(kernel, tmp_path, "kernel-rodata-exec")
    assert "#PF page fault in kernel: W^X violation (execute from a no-exec page)" in fault.line
    assert fault.cr2 == fault.rip == symbols["g_ret_instruction"].start
    assert fault.err & 0b10001 == 0b10001, "present page, instruction fetch"


def test_invalid_opcode_is_reported_as_ud(kernel, tmp_path, symbols):
    fault = selftest_fault(kernel, tmp_path, "kernel-ud")
    assert fault.line.startswith("cvmify: panic #UD invalid opcode in kernel: "), fault.line
    assert fault.rip in symbols["invalid_opcode"]


def test_stack_overflow_hits_the_guard_page_and_double_faults(kernel, tmp_path, symbols):
    # The #PF on the guard page cannot push its frame on the same stack, so
    # the CPU raises #DF, which runs on its own IST stack and panics.
    fault = selftest_fault(kernel, tmp_path, "kernel-stack-overflow")
    assert "#DF double fault in kernel: kernel stack overflow (guard page)" in fault.line
    guard = symbols["boot_stack_guard"].start
    assert guard <= fault.cr2 < guard + PAGE


KSTACK_REGION_BASE = 0xffffc00000000000  # kernel/mm/kstack.h
KSTACK_SLOT = 5 * PAGE  # a guard page, then 4 stack pages


def test_task_stack_overflow_hits_its_guard_page(kernel, tmp_path, symbols):
    # Every task's kernel stack comes from kstack_alloc: its own slot in
    # the stack region, above an unmapped guard page. The case runs the
    # same recursion on such a stack; it must fault in that guard (not
    # run on into the neighbouring memory) and the panic must say so.
    fault = selftest_fault(kernel, tmp_path, "task-stack-overflow")
    assert "#DF double fault in kernel: task kernel stack overflow (guard page)" in fault.line
    assert fault.cr2 >= KSTACK_REGION_BASE
    assert (fault.cr2 - KSTACK_REGION_BASE) % KSTACK_SLOT < PAGE, hex(fault.cr2)  # a guard page
    # The stack was really in use: the faulting frame sits right above it.
    assert 0 < fault.rsp - fault.cr2 <= PAGE, (hex(fault.rsp), hex(fault.cr2))


# -- the stack protector ---------------------------------------------------------


def test_overwritten_stack_canary_panics(kernel, tmp_path, symbols):
    line = selftest_panic(kernel, tmp_path, b"kernel-stack-smash")
    match = re.fullmatch(r"cvmify: panic stack protector: canary overwritten, detected at rip=([0-9a-f]+)", line)
    assert match, line
    # The address is the return address of the call to __stack_chk_fail,
    # which never returns: gcc may make it the function's last instruction.
    rip, smash = int(match.group(1), 16), symbols["smash"]
    assert smash.start < rip <= smash.start + smash.size


def test_canary_comes_from_the_cpu_and_lives_outside_the_measured_image(kernel, tmp_path, symbols):
    result = boot_kernel(kernel, tmp_path, {"opt/cvmify/probe": b"1"})
    assert re.search(r"^cvmify kernel: booting \(stack canary from (rdseed|rdrand)\)$", result.log,
                     re.MULTILINE), result.log  # -cpu max has RDRAND
    # Written before measure_kernel_image runs: it must not be measured.
    assert symbols["__stack_chk_guard"].start >= symbols["__bss_start"].start


# -- the switch itself is checked strictly ------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (b"kernel-ud2", 'selftest: unknown case "kernel-ud2"'),
        (b"kernel-ud\0", 'selftest: unknown case "kernel-ud?"'),
        (b"KERNEL-UD", 'selftest: unknown case "KERNEL-UD"'),
        (b"x" * 33, "selftest: value of 33 bytes, expected 1..32"),
    ],
    ids=["near-miss", "trailing-nul", "case", "too-long"],
)
def test_unknown_selftest_value_panics(kernel, tmp_path, value, expected):
    line = selftest_panic(kernel, tmp_path, value)
    assert line == f"cvmify: panic {expected}"
