"""`--tmpfs PATH[:OPTIONS]` parsed as docker takes it, and the TMPFS_MOUNT
record that carries it (cvmify/manifest/tmpfs.py); the kernel's side is
kernel/tests/host/test_config.c and test_tmpfs_host.c, and the guest
comparison with docker is in tests/test_run_flags.py."""

from __future__ import annotations

import logging

import pytest

from cvmify.errors import BadBundleError, UsageError
from cvmify.manifest.tmpfs import (
    FIXED, NODEV, NOEXEC, NOSUID, RDONLY, TmpfsMount, decode_tmpfs_mount, encode_tmpfs_mount,
    parse_tmpfs_spec,
)

DOCKER = NOSUID | NODEV | NOEXEC  # docker's --tmpfs before its options


@pytest.mark.parametrize("spec, mount", [
    ("/run", TmpfsMount("/run")),
    ("/run:", TmpfsMount("/run")),
    ("/run:size=64m", TmpfsMount("/run", 64 << 20)),
    ("/run:rw,noexec,nosuid,size=65536k", TmpfsMount("/run", 65536 << 10)),
    ("/x:size=1G,mode=0755,uid=1000,gid=100", TmpfsMount("/x", 1 << 30, 0o755, 1000, 100)),
    ("/x:size=4097", TmpfsMount("/x", 4097)),
    ("/x:mode=1777,nodev,exec", TmpfsMount("/x", flags=NOSUID | NODEV)),
    ("/x:size=0", TmpfsMount("/x")),
    ("/x:ro", TmpfsMount("/x", flags=DOCKER | RDONLY)),
    ("/x:ro,rw", TmpfsMount("/x", flags=DOCKER)),
    ("/x:suid,dev,exec", TmpfsMount("/x", flags=0)),
    ("/x:exec,noexec", TmpfsMount("/x", flags=DOCKER)),
    ("/x:mode=0700,ro", TmpfsMount("/x", mode=0o700, flags=DOCKER | RDONLY)),
])
def test_docker_options(spec, mount):
    assert parse_tmpfs_spec(spec) == mount


@pytest.mark.parametrize("spec, words", [
    ("run", "normalized absolute path"),
    ("/", "normalized absolute path"),
    ("/a/../b", "normalized absolute path"),
    ("//a", "normalized absolute path"),
    ("/a/", "normalized absolute path"),
    ("/x:noatime", "option 'noatime' is not supported"),
    ("/x:nr_inodes=5", "option 'nr_inodes=5' is not supported"),
    ("/x:size=50%", "size=50% is not a valid value"),
    ("/x:size=12q", "size=12q is not a valid value"),
    ("/x:size=-1", "out of range"),
    ("/x:mode=888", "mode=888 is not a valid value"),
    ("/x:mode=17777", "out of range"),
    ("/x:uid=4294967295", "out of range"),
    ("/x:uid=me", "uid=me is not a valid value"),
])
def test_refused_with_the_reason(spec, words):
    with pytest.raises(UsageError, match=words.replace("(", r"\(")):
        parse_tmpfs_spec(spec)


def test_flag_options_do_not_warn(caplog):
    with caplog.at_level(logging.WARNING, logger="cvmify"):
        parse_tmpfs_spec("/x:rw,noexec,nosuid,nodev,size=64m")
    assert caplog.text == ""


def test_record_round_trip_and_the_kernels_checks():
    mount = TmpfsMount("/srv/cache", (1 << 40) + 1, 0o700, 5, 6)
    value = encode_tmpfs_mount(mount)
    assert value[:FIXED.size] == FIXED.pack((1 << 40) + 1, 0o700, 5, 6, 0xE)
    assert value[20:24] == b"\x0e\0\0\0"  # nosuid 0x2, nodev 0x4, noexec 0x8
    assert decode_tmpfs_mount(value, "t") == mount
    ro_exec = TmpfsMount("/x", flags=RDONLY)
    assert encode_tmpfs_mount(ro_exec)[20:24] == b"\x01\0\0\0"
    assert decode_tmpfs_mount(encode_tmpfs_mount(ro_exec), "t") == ro_exec
    # A record from before flags (zero there) is a plain rw mount.
    assert decode_tmpfs_mount(FIXED.pack(0, 0o755, 0, 0, 0) + b"/x", "t").flags == 0
    bad = [
        value[:FIXED.size],  # no path
        FIXED.pack(0, 0o10000, 0, 0, 0) + b"/x",  # mode
        FIXED.pack(0, 0o755, 0xFFFFFFFF, 0, 0) + b"/x",  # owner
        FIXED.pack(0, 0o755, 0, 0, 0x10) + b"/x",  # an unknown flag
        FIXED.pack(0, 0o755, 0, 0, 0x8000_0000) + b"/x",
        FIXED.pack(0, 0o755, 0, 0, 0) + b"/x\0y",
        FIXED.pack(0, 0o755, 0, 0, 0) + b"/x/",
        FIXED.pack(0, 0o755, 0, 0, 0) + b"/\xff",
        FIXED.pack(0, 0o755, 0, 0, 0) + b"/" + b"a" * 256,
    ]
    for value in bad:
        with pytest.raises(BadBundleError):
            decode_tmpfs_mount(value, "t")
