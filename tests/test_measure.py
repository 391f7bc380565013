"""Launch measurements (docs/measurements.md), predicted on the host.

The kernel-image rule is tested on a small ELF linked here with gcc/ld:
two file-backed PT_LOAD segments with a gap between them, a bss tail
inside the range and a bss segment after it, and virtual addresses that
differ from physical ones (only p_paddr counts). `objcopy -O binary`
serves as an independent oracle for the loaded image.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests.conftest import require_tools
from cvmify.errors import BadBundleError, IntegrityError, UsageError
from cvmify.measure.chain import extend, replay
from cvmify.measure.kernel_image import kernel_image, kernel_image_digest
from cvmify.measure.measurements import Measurements, compute_measurements

GOLDEN = Path(__file__).parent / "golden"

ASM = """
    .section .text, "ax"
    .globl _start
_start:
    .byte 0x11, 0x22, 0x33
    .fill 13, 1, 0x44
    .section .tailbss, "aw", @nobits
    .skip 100
    .section .data, "aw"
    .ascii "DATA-SEG"
    .section .bss, "aw", @nobits
    .skip 4096
"""

LINKER_SCRIPT = """
ENTRY(_start)
PHDRS { text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); bss PT_LOAD FLAGS(6); }
SECTIONS {
    . = 0xffffffff80100000;
    .text : AT(0x100000) { *(.text) } :text
    .tailbss : AT(0x100010) { *(.tailbss) } :text
    . = 0xffffffff80200000;
    .data : AT(0x103000) { *(.data) } :data
    . = 0xffffffff80300000;
    .bss : AT(0x200000) { *(.bss) } :bss
    /DISCARD/ : { *(.note.gnu.property) *(.note.GNU-stack) }
}
"""

@pytest.fixture
def toolchain() -> None:
    require_tools("gcc", "ld")


needs_toolchain = pytest.mark.usefixtures("toolchain")


@pytest.fixture(scope="module")
def test_elf(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("elf")
    (work / "k.S").write_text(ASM)
    (work / "k.ld").write_text(LINKER_SCRIPT)
    subprocess.run(["gcc", "-c", "-o", work / "k.o", work / "k.S"], check=True)
    subprocess.run(["ld", "-nostdlib", "-T", work / "k.ld",
                    "-o", work / "k.elf", work / "k.o"], check=True)
    return work / "k.elf"


@needs_toolchain
def test_the_test_elf_has_the_intended_shape(test_elf):
    with open(test_elf, "rb") as f:
        loads = [(s["p_paddr"], s["p_vaddr"], s["p_filesz"], s["p_memsz"])
                 for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_LOAD"]
    assert loads == [
        (0x100000, 0xffffffff80100000, 16, 16 + 100),  # bss tail inside the range
        (0x103000, 0xffffffff80200000, 8, 8),  # after a gap; vaddr gap differs
        (0x200000, 0xffffffff80300000, 0, 4096),  # no file bytes: outside the range
    ]


@needs_toolchain
def test_kernel_image_is_the_loaded_file_bytes_with_zero_gaps(test_elf, tmp_path):
    expected = bytes([0x11, 0x22, 0x33]) + b"\x44" * 13 + bytes(0x3000 - 16) + b"DATA-SEG"
    assert kernel_image(test_elf) == expected
    assert kernel_image_digest(test_elf) == hashlib.sha384(expected).digest()
    subprocess.run(["objcopy", "-O", "binary", test_elf, tmp_path / "flat"], check=True)
    assert (tmp_path / "flat").read_bytes() == expected


def test_the_real_kernel_measures_its_documented_range(cvmify_kernel):
    """The kernel hashes [__measured_start, __measured_end); so must we."""
    with open(cvmify_kernel, "rb") as f:
        symbols = {s.name: s["st_value"] for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}
    assert "__measured_start" in symbols and "__measured_end" in symbols
    assert len(kernel_image(cvmify_kernel)) == symbols["__measured_end"] - symbols["__measured_start"]


def test_not_an_elf_is_refused(tmp_path):
    (tmp_path / "k.elf").write_bytes(b"not an elf at all" * 10)
    with pytest.raises(BadBundleError):
        kernel_image_digest(tmp_path / "k.elf")


@needs_toolchain
def test_elf_without_file_bytes_is_refused(tmp_path):
    (tmp_path / "k.S").write_text('.section .bss, "aw", @nobits\n.globl _start\n_start: .skip 64\n')
    (tmp_path / "k.ld").write_text("ENTRY(_start) SECTIONS { . = 0x100000; .bss : { *(.bss) } }")
    subprocess.run(["gcc", "-c", "-o", tmp_path / "k.o", tmp_path / "k.S"], check=True)
    subprocess.run(["ld", "-nostdlib", "-T", tmp_path / "k.ld", "-o", tmp_path / "k.elf", tmp_path / "k.o"],
                   check=True)
    with pytest.raises(BadBundleError, match="no PT_LOAD"):
        kernel_image_digest(tmp_path / "k.elf")


@needs_toolchain
def test_compute_measurements_follows_the_chain(test_elf):
    config_bin = b"CVMCFG01" + bytes(56)
    disk_root = hashlib.sha384(b"some disk").digest()
    m = compute_measurements(test_elf, config_bin, disk_root)
    kernel = hashlib.sha384(kernel_image(test_elf)).digest()
    config = hashlib.sha384(config_bin).digest()
    r1 = hashlib.sha384(bytes(48) + kernel).digest()
    r2 = hashlib.sha384(r1 + config).digest()
    r3 = hashlib.sha384(r2 + disk_root).digest()
    assert (m.kernel, m.config, m.disk_root, m.rtmr) == (kernel, config, disk_root, r3)
    doc = m.to_json()
    assert doc == {"format": "cvmify-measurements/1", "algorithm": "sha384", "kernel": kernel.hex(),
                   "config": config.hex(), "disk_root": disk_root.hex(), "rtmr": r3.hex()}
    assert Measurements.from_json(json.loads(json.dumps(doc))) == m
    with pytest.raises(UsageError):
        compute_measurements(test_elf, config_bin, disk_root[:32])


def test_from_json_refuses_inconsistent_or_malformed_values():
    values = [hashlib.sha384(bytes([i])).digest() for i in range(3)]
    good = Measurements(*values, rtmr=replay(values)).to_json()
    Measurements.from_json(good)
    for change in ({"rtmr": "00" * 48}, {"kernel": good["kernel"].upper()}, {"config": "zz" * 48},
                   {"algorithm": "sha256"}, {"format": "cvmify-measurements/2"}, {"disk_root": "ab"}):
        with pytest.raises(BadBundleError):
            Measurements.from_json({**good, **change})


def test_golden_chain_vector():
    """tests/golden/chain.json, used by the kernel's host tests, is right."""
    vector = json.loads((GOLDEN / "chain.json").read_text())
    r = bytes(48)
    for name, want in (("kernel", "r1"), ("config", "r2"), ("disk_root", "rtmr")):
        r = hashlib.sha384(r + bytes.fromhex(vector[name])).digest()
        assert r.hex() == vector[want]
    assert extend(bytes(48), bytes.fromhex(vector["kernel"])).hex() == vector["r1"]
    with pytest.raises(UsageError):
        extend(bytes(48), b"short")


def test_software_report_layout():
    from cvmify.measure.report import pack_report, parse_report

    values = [hashlib.sha384(bytes([i])).digest() for i in range(3)]
    m = Measurements(*values, rtmr=replay(values))
    data = pack_report(m, b"nonce")
    assert len(data) == 272 and data[:16] == b"CVMREP01" + b"\x01\0\0\0" + bytes(4)
    assert data[16:64] == m.kernel and data[112:160] == m.disk_root and data[160:208] == m.rtmr
    assert data[208:] == b"nonce" + bytes(59)
    assert parse_report(data).measurements == m
    with pytest.raises(IntegrityError):
        parse_report(data[:-1])
    with pytest.raises(IntegrityError):
        parse_report(b"CVMREP02" + data[8:])
    with pytest.raises(UsageError):
        pack_report(m, bytes(65))
