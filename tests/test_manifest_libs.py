"""Library resolution: ld.so.cache parsing, search order, $ORIGIN, musl."""

from __future__ import annotations

import os
import struct

import pytest

from cvmify.errors import MissingLibraryError
from cvmify.manifest.infer import infer_manifest
from cvmify.manifest.ldcache import CacheFormatError, load_ld_cache, parse_ld_cache
from tests.conftest import unavailable
from tests.test_manifest_fakes import EM_AARCH64, GLIBC_LD, MUSL_LD, FakeRoot, image_config, make_elf

X86_64 = 0x0303
HWCAPS = 1 << 62


def build_cache(entries, old_entries: int | None = None) -> bytes:
    """entries: (flags, soname, path, hwcap). Strings follow the entries and
    are addressed from the start of the new header."""
    header_size, entry_size = 48, 24
    strings = bytearray()
    packed = []
    base = header_size + entry_size * len(entries)
    for flags, soname, path, hwcap in entries:
        key = base + len(strings)
        strings += soname.encode() + b"\0"
        value = base + len(strings)
        strings += path.encode() + b"\0"
        packed.append(struct.pack("<iIIIQ", flags, key, value, 0, hwcap))
    new = struct.pack("<20sIIB3xI12x", b"glibc-ld.so.cache1.1", len(entries), len(strings), 2, 0)
    new += b"".join(packed) + bytes(strings)
    if old_entries is None:
        return new
    old = b"ld.so-1.7.0\0" + struct.pack("<I", old_entries) + bytes(12 * old_entries)
    old += bytes(-len(old) % 8)
    return old + new


def test_parse_cache_prefers_baseline_and_filters_arch():
    data = build_cache([
        (X86_64, "libz.so.1", "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1", HWCAPS),
        (X86_64, "libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1", 0),
        (0x0003, "libold.so", "/lib32/libold.so", 0),  # not x86-64
        (X86_64, "libonly.so", "/opt/hw/libonly.so", HWCAPS),
    ])
    assert parse_ld_cache(data) == {
        "libz.so.1": "/usr/lib/x86_64-linux-gnu/libz.so.1",
        "libonly.so": "/opt/hw/libonly.so",
    }


def test_parse_compat_format_with_old_block():
    data = build_cache([(X86_64, "libc.so.6", "/lib/libc.so.6", 0)], old_entries=3)
    assert parse_ld_cache(data) == {"libc.so.6": "/lib/libc.so.6"}


@pytest.mark.parametrize("mutate", [
    lambda d: b"garbage" + d,
    lambda d: d[:40],
    lambda d: d[:20] + struct.pack("<I", 10**6) + d[24:],  # too many entries
    lambda d: d[:52] + struct.pack("<I", 10**6) + d[56:],  # key offset out of range
    lambda d: d[:-1] + b"x",  # last string not terminated
])
def test_malformed_cache_is_refused(mutate):
    data = build_cache([(X86_64, "libc.so.6", "/lib/libc.so.6", 0)])
    with pytest.raises(CacheFormatError):
        parse_ld_cache(mutate(data))
    assert load_ld_cache(mutate(data)) == {}


def test_parse_host_cache():
    if not os.path.exists("/etc/ld.so.cache"):
        unavailable("host has no /etc/ld.so.cache")
    with open("/etc/ld.so.cache", "rb") as f:
        cache = parse_ld_cache(f.read())
    assert cache["libc.so.6"].endswith("/libc.so.6")
    assert all(path.startswith("/") for path in cache.values())


def test_cache_entry_used_for_nonstandard_dir(tmp_path):
    fake = FakeRoot(tmp_path)
    fake.glibc_base()
    fake.file("/opt/vendor/lib/libv.so.1", make_elf(needed=["libc.so.6"]))
    fake.file("/etc/ld.so.cache", build_cache([(X86_64, "libv.so.1", "/opt/vendor/lib/libv.so.1", 0)]), 0o644)
    fake.file("/bin/app", make_elf(interp=GLIBC_LD, needed=["libv.so.1"]))
    m = infer_manifest(image_config(Cmd=["/bin/app"]), fake.rootfs)
    assert "/opt/vendor/lib/libv.so.1" in m["image"]["libraries"]
    assert "/lib/x86_64-linux-gnu/libc.so.6" in m["image"]["libraries"]


def test_runpath_origin_expanded(tmp_path):
    fake = FakeRoot(tmp_path)
    fake.glibc_base()
    fake.file("/app/lib/libapp.so", make_elf(needed=["libc.so.6"]))
    fake.file("/app/bin/app", make_elf(interp=GLIBC_LD, needed=["libapp.so"], runpath="$ORIGIN/../lib"))
    m = infer_manifest(image_config(Cmd=["/app/bin/app"]), fake.rootfs)
    assert "/app/lib/libapp.so" in m["image"]["libraries"]


def test_runpath_applies_only_to_the_object_itself(tmp_path):
    """DT_RUNPATH is not inherited by dependencies (unlike DT_RPATH)."""
    fake = FakeRoot(tmp_path)
    fake.glibc_base()
    fake.file("/app/lib/liba.so", make_elf(needed=["libb.so"]))
    fake.file("/app/lib/libb.so", make_elf())
    fake.file("/app/bin/app", make_elf(interp=GLIBC_LD, needed=["liba.so"], runpath="${ORIGIN}/../lib"))
    with pytest.raises(MissingLibraryError, match="libb.so needed by /app/lib/liba.so"):
        infer_manifest(image_config(Cmd=["/app/bin/app"]), fake.rootfs)


def test_rpath_of_program_is_inherited(tmp_path):
    fake = FakeRoot(tmp_path)
    fake.glibc_base()
    fake.file("/app/lib/liba.so", make_elf(needed=["libb.so"]))
    fake.file("/app/lib/libb.so", make_elf())
    fake.file("/app/bin/app", make_elf(interp=GLIBC_LD, needed=["liba.so"], rpath="/app/lib"))
    m = infer_manifest(image_config(Cmd=["/app/bin/app"]), fake.rootfs)
    assert {"/app/lib/liba.so", "/app/lib/libb.so"} <= set(m["image"]["libraries"])


def test_incompatible_candidate_is_skipped(tmp_path):
    fake = FakeRoot(tmp_path)
    fake.glibc_base()
    fake.file("/lib/x86_64-linux-gnu/libq.so", make_elf(machine=EM_AARCH64))
    fake.file("/usr/lib/x86_64-linux-gnu/libq.so", make_elf())
    fake.file("/bin/app", make_elf(interp=GLIBC_LD, needed=["libq.so"]))
    m = infer_manifest(image_config(Cmd=["/bin/app"]), fake.rootfs)
    assert "/usr/lib/x86_64-linux-gnu/libq.so" in m["image"]["libraries"]


def test_musl_path_file_replaces_defaults(tmp_path):
    fake = FakeRoot(tmp_path)
    fake.file("/lib/ld-musl-x86_64.so.1", make_elf())
    fake.file("/usr/lib/libz.so.1", make_elf())
    fake.file("/bin/app", make_elf(interp=MUSL_LD, needed=["libz.so.1"]))
    assert infer_manifest(image_config(Cmd=["/bin/app"]), fake.rootfs)["image"]["kind"] == "musl"
    fake.file("/etc/ld-musl-x86_64.path", "/lib\n/opt/lib\n", 0o644)
    with pytest.raises(MissingLibraryError, match="libz.so.1"):
        infer_manifest(image_config(Cmd=["/bin/app"]), fake.rootfs)
