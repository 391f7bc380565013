"""The kernel's boot path, booted for real under QEMU/TCG.

Each test starts `kernel/build/cvmify-kernel.elf` (built by the
cvmify_kernel fixture) with tests/guest.py's `boot_kernel`, on the
microvm machine of docs/boot-config.md with fw_cfg files made here, and
reads the kernel log and control lines from COM3. No disk is attached:
these tests stop before the root filesystem, either in the accelerator
probe or at a boot-config failure.
"""

from __future__ import annotations

import hashlib
import re
import struct
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from cvmify.measure.kernel_image import kernel_image_digest
from tests.guest import EXIT_APP, EXIT_PANIC, boot_kernel

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

# docs/boot-config.md record types
ENTRYPOINT, ARG, ENV, CWD, UID, GID, TMPFS, DISK_ROOT = range(1, 9)


def record(rec_type: int, value: bytes) -> bytes:
    return struct.pack("<HHI", rec_type, 0, len(value)) + value + b"\0" * (-len(value) % 4)


def config_bin(records: list[tuple[int, bytes]]) -> bytes:
    body = b"".join(record(t, v) for t, v in records)
    return b"CVMCFG01" + struct.pack("<II", 16 + len(body), len(records)) + body


def valid_records() -> list[tuple[int, bytes]]:
    return [
        (ENTRYPOINT, b"/bin/busybox"),
        (ARG, b"busybox"),
        (ARG, b"true"),
        (ENV, b"PATH=/bin"),
        (CWD, b"/"),
        (UID, struct.pack("<I", 0)),
        (GID, struct.pack("<I", 0)),
        (DISK_ROOT, bytes(range(48))),
    ]




def logged_hex(log: str, name: str) -> bytes:
    match = re.search(rf"^measure: {name} ([0-9a-f]{{96}})$", log, re.MULTILINE)
    assert match, f"no 'measure: {name}' line in the kernel log:\n{log}"
    return bytes.fromhex(match.group(1))


def extend(register: bytes, value: bytes) -> bytes:
    return hashlib.sha384(register + value).digest()


def loaded_image(kernel: Path) -> bytes:
    """docs/measurements.md, written out independently of cvmify.measure."""
    with kernel.open("rb") as f:
        elf = ELFFile(f)
        segs = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD" and s["p_filesz"] > 0]
        low = min(s["p_paddr"] for s in segs)
        high = max(s["p_paddr"] + s["p_filesz"] for s in segs)
        image = bytearray(high - low)
        for s in segs:
            start = s["p_paddr"] - low
            image[start : start + s["p_filesz"]] = s.data()
    return bytes(image)


# -- the tests ------------------------------------------------------------------


def test_probe_runs_ring3_round_trip_and_powers_off(cvmify_kernel, tmp_path):
    result = boot_kernel(cvmify_kernel, tmp_path, {"opt/cvmify/probe": b"1"})
    assert result.control_lines() == ["cvmify: probe ok"], result.log
    assert result.returncode == EXIT_APP, result.log


def test_probe_switch_other_than_1_is_off(cvmify_kernel, tmp_path):
    # Not a probe, and no config: the kernel must refuse to go on.
    result = boot_kernel(cvmify_kernel, tmp_path, {"opt/cvmify/probe": b"0"})
    assert "cvmify: probe ok" not in result.log
    assert result.returncode == EXIT_PANIC, result.log
    assert any(l.startswith("cvmify: panic no boot config") for l in result.control_lines()), result.log


@pytest.mark.parametrize(
    "blob, reason",
    [
        (config_bin([(ENTRYPOINT, b"/bin/\0sh")] + valid_records()[1:]), "NUL inside string"),
        (b"CVMCFG02" + config_bin(valid_records())[8:], "bad magic"),
        (config_bin(valid_records()[:-1]), "DISK_ROOT records"),
        (config_bin(valid_records() + [(99, b"x")]), "unknown record type"),
        (config_bin(valid_records())[:-4], "total_size"),
    ],
    ids=["nul", "magic", "no-disk-root", "unknown-type", "truncated"],
)
def test_corrupt_config_panics(cvmify_kernel, tmp_path, blob, reason):
    result = boot_kernel(cvmify_kernel, tmp_path, {"opt/cvmify/config": blob})
    panics = [l for l in result.control_lines() if l.startswith("cvmify: panic ")]
    assert len(panics) == 1, result.log
    assert "bad boot config" in panics[0] and reason in panics[0], panics[0]
    assert result.returncode == EXIT_PANIC
    assert "measure: config" not in result.log  # refused before it was measured


def test_measurements_equal_the_python_computation(cvmify_kernel, tmp_path):
    blob = config_bin(valid_records())
    result = boot_kernel(cvmify_kernel, tmp_path, {"opt/cvmify/config": blob})

    kernel = logged_hex(result.log, "kernel")
    assert kernel == kernel_image_digest(cvmify_kernel)
    assert kernel == hashlib.sha384(loaded_image(cvmify_kernel)).digest()
    config = logged_hex(result.log, "config")
    assert config == hashlib.sha384(blob).digest()
    # The first rtmr line is R2 (kernel, config); the disk root comes later.
    r2 = extend(extend(bytes(48), kernel), config)
    assert logged_hex(result.log, "rtmr") == r2


def test_kernel_elf_is_wx_separated_and_pvh_bootable(cvmify_kernel):
    with cvmify_kernel.open("rb") as f:
        elf = ELFFile(f)
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        for s in loads:
            writable, executable = s["p_flags"] & 2, s["p_flags"] & 1
            assert not (writable and executable), f"W+X segment at {s['p_vaddr']:#x}"
        notes = [n for s in elf.iter_segments() if s["p_type"] == "PT_NOTE" for n in s.iter_notes()]
        pvh = [n for n in notes if n["n_name"] == "Xen" and n["n_type"] == 18]
        assert len(pvh) == 1
        symbols = {sym.name: sym["st_value"] for sym in elf.get_section_by_name(".symtab").iter_symbols()}
        file_backed = [s for s in loads if s["p_filesz"] > 0]
        assert symbols["__measured_start"] == min(s["p_vaddr"] for s in file_backed)
        assert symbols["__measured_end"] == max(s["p_vaddr"] + s["p_filesz"] for s in file_backed)
        assert symbols["__bss_start"] >= symbols["__measured_end"]
