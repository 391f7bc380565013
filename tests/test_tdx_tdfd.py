"""td.fd, the TDX boot image (docs/tdx.md), and its MRTD.

The format is checked with tests/tdx_spec.py, an independent reader
written from the specs (no cvmify imports), and the kernel section
against `objcopy -O binary` of the TDX kernel ELF. MRTD from cvmify must
equal the independent computation for both page orders. Malformed
images must be refused with a reason.
"""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import pytest

from cvmify.errors import IntegrityError, UsageError
from cvmify.tdx.mrtd import compute_mrtd
from cvmify.tdx.tdvf import build_td_fd, config_of, load_td_kernel, parse_td_fd
from tests import tdx_spec
from tests.conftest import require_tools
from tests.guest import build_bundle, cvmify, program


def config_blob(size: int = 300, fill: int = 0x41) -> bytes:
    """Bytes shaped like config.bin's header; td.fd does not parse more."""
    return b"CVMCFG01" + struct.pack("<II", size, 0) + bytes([fill]) * (size - 16)


@pytest.fixture(scope="session")
def td_kernel(cvmify_kernel: Path) -> Path:
    path = cvmify_kernel.parent / "tdx" / "cvmify-kernel.elf"
    assert path.is_file(), "make -C kernel builds the TDX kernel too"
    return path


@pytest.fixture(scope="session")
def td_fd(td_kernel: Path) -> bytes:
    return build_td_fd(load_td_kernel(td_kernel), config_blob())


def test_image_size_table_and_descriptor(td_fd):
    size = len(td_fd)
    assert size % 0x10000 == 0
    assert td_fd[size - 48:size - 32] == tdx_spec.guid_bytes(tdx_spec.FOOTER)
    entries = dict(tdx_spec.table_entries(td_fd))
    assert tdx_spec.guid_bytes(tdx_spec.METADATA) in entries
    at = tdx_spec.descriptor_offset(td_fd)
    assert td_fd[at - 16:at] == tdx_spec.guid_bytes(tdx_spec.DESCRIPTOR)
    assert size - 4096 <= at < size - 48, "the descriptor lies in the measured boot stub"


def test_sections(td_fd, td_kernel, tmp_path):
    require_tools("objcopy")
    s = tdx_spec.sections(td_fd)
    assert [x["type"] for x in s] == [0, 0, 1, 3, 2]  # stub, kernel, config, TempMem, TD_HOB
    stub, kernel, config, temp, hob = s
    size = len(td_fd)
    assert (stub["address"], stub["memory_size"], stub["data_offset"]) == (0xFFFFF000, 4096, size - 4096)
    for extended in (stub, kernel, config):
        assert extended["attributes"] == 1 and extended["raw_size"] == extended["memory_size"]
    for plain in (temp, hob):
        assert plain["attributes"] == 0 and plain["raw_size"] == 0
    for x in s:
        assert x["address"] % 4096 == 0 and x["memory_size"] % 4096 == 0
        assert not x["attributes"] & 2, "never PAGE.AUG"
    # The kernel section is the loaded ELF, as objcopy lays it out.
    flat = tmp_path / "kernel.bin"
    subprocess.run(["objcopy", "-O", "binary", "--only-section=.text", "--only-section=.rodata",
                    "--only-section=.note.cvmify", "--only-section=.data", str(td_kernel), str(flat)],
                   check=True)
    loaded = flat.read_bytes()
    assert kernel["address"] == 0x100000
    body = td_fd[kernel["data_offset"]:kernel["data_offset"] + kernel["raw_size"]]
    assert body[:len(loaded)] == loaded and not any(body[len(loaded):])
    assert temp["address"] == kernel["address"] + kernel["memory_size"], ".bss follows the image"
    blob = config_blob()
    assert td_fd[config["data_offset"]:config["data_offset"] + len(blob)] == blob
    # The reset vector: the last 16 bytes, inside the stub section.
    assert td_fd[size - 16:size - 13] == bytes.fromhex("0f20c0")


def test_reader_agrees_with_the_spec_reader(td_fd):
    image = parse_td_fd(td_fd)
    assert [(x.data_offset, x.raw_size, x.address, x.memory_size, x.type, x.attributes)
            for x in image.sections] == [tuple(d.values()) for d in tdx_spec.sections(td_fd)]
    assert config_of(image) == config_blob()


@pytest.mark.parametrize("order,two_pass", [("single", False), ("two-pass", True)])
def test_mrtd_equals_independent_computation(td_fd, order, two_pass):
    assert compute_mrtd(parse_td_fd(td_fd), order) == tdx_spec.mrtd(td_fd, two_pass)


def test_mrtd_orders_differ_and_cover_kernel_and_config(td_kernel, td_fd):
    assert tdx_spec.mrtd(td_fd) != tdx_spec.mrtd(td_fd, two_pass=True)
    other_config = build_td_fd(load_td_kernel(td_kernel), config_blob(fill=0x42))
    assert tdx_spec.mrtd(other_config) != tdx_spec.mrtd(td_fd)
    kernel = tdx_spec.sections(td_fd)[1]
    flipped = bytearray(td_fd)
    flipped[kernel["data_offset"] + 100] ^= 1
    assert tdx_spec.mrtd(bytes(flipped)) != tdx_spec.mrtd(td_fd)


# -- refusals ----------------------------------------------------------------


def patch_section(image: bytes, index: int, field: str, value: int) -> bytes:
    at = tdx_spec.descriptor_offset(image) + 16 + 32 * index
    offsets = {"data_offset": (0, "<I"), "raw_size": (4, "<I"), "address": (8, "<Q"),
               "memory_size": (16, "<Q"), "type": (24, "<I"), "attributes": (28, "<I")}
    off, fmt = offsets[field]
    out = bytearray(image)
    struct.pack_into(fmt, out, at + off, value)
    return bytes(out)


@pytest.mark.parametrize(
    "mutate,reason",
    [
        (lambda b: b[:-4096], "multiple of 64 KiB"),
        (lambda b: b[:-48] + bytes(16) + b[-32:], "footer"),
        (lambda b: patch_section(b, 2, "attributes", 3), "PAGE.AUG"),
        (lambda b: patch_section(b, 3, "type", 4), "type 4"),
        (lambda b: patch_section(b, 2, "memory_size", 0x2000), "RawDataSize != MemoryDataSize"),
        (lambda b: patch_section(b, 1, "address", 0x100800), "aligned"),
        (lambda b: patch_section(b, 4, "type", 3), "exactly one TD_HOB"),
        (lambda b: patch_section(b, 4, "address", 0x100000), "overlap"),
        (lambda b: patch_section(b, 3, "raw_size", 4096), "no data"),
        (lambda b: patch_section(b, 0, "address", 0xFFFFE000), "section 0"),
        (lambda b: patch_section(b, 1, "data_offset", 0xFFFFF000), "outside the image"),
    ],
)
def test_malformed_images_are_refused(td_fd, mutate, reason):
    with pytest.raises(IntegrityError, match=reason):
        parse_td_fd(mutate(td_fd))


def test_descriptor_length_and_offset_checked(td_fd):
    at = tdx_spec.descriptor_offset(td_fd)
    bad_len = bytearray(td_fd)
    struct.pack_into("<I", bad_len, at + 4, 16 + 32 * 4)
    with pytest.raises(IntegrityError, match="length"):
        parse_td_fd(bytes(bad_len))
    entry_end = len(td_fd) - 50  # the metadata entry's data ends 18 bytes before this
    bad_offset = bytearray(td_fd)
    struct.pack_into("<I", bad_offset, entry_end - 22, len(td_fd) + 1)
    with pytest.raises(IntegrityError, match="offset"):
        parse_td_fd(bytes(bad_offset))


def test_config_too_large_for_td_fd(td_kernel):
    with pytest.raises(UsageError, match="td.fd holds at most"):
        build_td_fd(load_td_kernel(td_kernel), config_blob(size=0x90000))


def test_a_kernel_without_the_stub_is_refused(cvmify_kernel):
    with pytest.raises(UsageError, match="not a TDX kernel"):
        load_td_kernel(cvmify_kernel)


# -- through the CLI: build, then measure ---------------------------------------


def test_build_and_measure_predict_mrtd_and_rtmrs(busybox_image, kernel, tmp_path):
    bundle = build_bundle(busybox_image, kernel, tmp_path, program("/bin/true"))
    image = (bundle / "td.fd").read_bytes()
    listed = json.loads((bundle / "bundle.json").read_text())["files"]
    assert "td.fd" in listed and listed["td.fd"]["size"] == len(image)
    for order, two_pass in (("single", False), ("two-pass", True)):
        out = cvmify("measure", str(bundle), "--json", "--mrtd-order", order)
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout)["result"]
        assert result["mrtd"] == tdx_spec.mrtd(image, two_pass).hex()
        assert result["recorded_matches"] is True
    tdx = result["measurements"]["tdx"]
    assert tdx["rtmr0"] == tdx["rtmr1"] == tdx["rtmr3"] == tdx["mrconfigid"] == "00" * 48
    config = (bundle / "config.bin").read_bytes()
    disk_root = bytes.fromhex(result["measurements"]["disk_root"])
    rtmr2 = bytes(48)
    for value in (tdx_spec.sha384(config), disk_root):
        rtmr2 = tdx_spec.sha384(rtmr2 + value)
    assert tdx["rtmr2"] == rtmr2.hex()
    assert config_of(parse_td_fd(image)) == config


def test_tampered_td_fd_is_caught(busybox_image, kernel, tmp_path):
    bundle = build_bundle(busybox_image, kernel, tmp_path, program("/bin/true"))
    image = bytearray((bundle / "td.fd").read_bytes())
    image[5000] ^= 0x80  # inside the kernel section
    (bundle / "td.fd").write_bytes(bytes(image))
    verify = cvmify("inspect", str(bundle), "--verify")
    assert verify.returncode == 7 and "td.fd" in verify.stderr
    measure = cvmify("measure", str(bundle))
    assert "DIFFERS" in measure.stdout and "tdx.mrtd" in measure.stderr
