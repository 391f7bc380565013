"""ELF facts from untrusted files: what is read, and that damaged files
only ever raise UnsupportedImageError."""

from __future__ import annotations

import random

import pytest

from cvmify.errors import UnsupportedImageError
from cvmify.manifest.elf import parse_elf
from tests.test_manifest_fakes import EM_AARCH64, GLIBC_LD, make_elf


def test_reads_interp_needed_and_paths():
    info = parse_elf("/x", make_elf(interp=GLIBC_LD, needed=["libc.so.6", "liba.so"], rpath="/r1:/r2", runpath="$ORIGIN/lib"))
    assert info.interpreter == GLIBC_LD
    assert info.needed == ["libc.so.6", "liba.so"]
    assert info.rpath == ["/r1", "/r2"]
    assert info.runpath == ["$ORIGIN/lib"]


def test_static_has_no_interpreter():
    info = parse_elf("/x", make_elf())
    assert info.interpreter is None and info.needed == []


def test_host_binary():
    with open("/bin/true", "rb") as f:
        info = parse_elf("/bin/true", f.read())
    assert "libc.so.6" in info.needed


@pytest.mark.parametrize("data, message", [
    (b"#!/bin/sh\n", "not an ELF"),
    (make_elf(machine=EM_AARCH64), "EM_AARCH64"),
    (b"\x7fELF\x01\x01\x01" + bytes(60), "x86-64"),  # a 32-bit header
])
def test_refused(data, message):
    with pytest.raises(UnsupportedImageError, match=message):
        parse_elf("/x", data)


def test_damaged_files_raise_only_unsupported():
    """Random byte flips and truncations (fixed seed): never another exception,
    and each refusal names the file."""
    seeds = [make_elf(interp=GLIBC_LD, needed=["libc.so.6", "libx.so"], runpath="$ORIGIN")]
    with open("/bin/true", "rb") as f:
        seeds.append(f.read())
    rng = random.Random(20240601)
    refused = 0
    for _ in range(1500):
        data = bytearray(rng.choice(seeds))
        if rng.random() < 0.3:
            data = data[: rng.randrange(4, len(data))]
        for _ in range(rng.randrange(1, 8)):
            data[rng.randrange(4, min(len(data), 400))] = rng.randrange(256)
        try:
            parse_elf("/x", bytes(data))
        except UnsupportedImageError as e:
            assert str(e).startswith("/x: "), e
            refused += 1
    assert refused > 300  # most damage is refused, so the loop really probes the refusals
