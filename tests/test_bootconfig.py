"""config.bin and the overrides file (docs/boot-config.md): layout,
round trips, and every refusal the kernel applies."""

from __future__ import annotations

import struct

import pytest

from cvmify.errors import BadBundleError, InvalidManifestError, UsageError
from cvmify.manifest import records as r
from cvmify.manifest.bootconfig import compile_boot_config, parse_boot_config
from cvmify.manifest.overrides import HostRequest, compile_overrides, parse_overrides
from cvmify.manifest.tmpfs import TmpfsMount

ROOT = bytes(range(48))


def manifest(**loader) -> dict:
    m = {
        "libos": {"entrypoint": "/usr/bin/python3.11"},
        "loader": {
            "argv": ["python3", "-c", "print('hé')"],
            "env": {"PATH": "/usr/bin", "TERM": {"passthrough": True}, "LANG": {"value": "C.UTF-8", "passthrough": True}},
            "uid": 1000,
            "gid": 100,
            "groups": [27, 999],
            "rlimits": {"stack": [8 << 20, "unlimited"], "nofile": [1024, 4096]},
        },
        "fs": {"start_dir": "/app", "mounts": [{"type": "tmpfs", "path": "/data", "origin": "volume"}]},
    }
    m["loader"].update(loader)
    return m


def test_round_trip():
    cfg = parse_boot_config(compile_boot_config(manifest(insecure__use_cmdline_argv=True), ROOT))
    assert cfg.entrypoint == "/usr/bin/python3.11"
    assert cfg.argv == ["python3", "-c", "print('hé')"]
    assert cfg.env == ["LANG=C.UTF-8", "PATH=/usr/bin"]
    assert cfg.allow_host_env == ["LANG", "TERM"]
    assert cfg.allow_host_argv is True
    assert cfg.cwd == "/app"
    assert (cfg.uid, cfg.gid, cfg.groups) == (1000, 100, [27, 999])
    assert cfg.tmpfs == ["/tmp", "/data"]
    assert cfg.disk_root == ROOT
    assert cfg.rlimits == {3: (8 << 20, (1 << 64) - 1), 7: (1024, 4096)}


def test_defaults_and_no_permissions():
    m = {"libos": {"entrypoint": "/bin/app"}, "loader": {"argv": ["app"]}}
    cfg = parse_boot_config(compile_boot_config(m, ROOT))
    assert (cfg.cwd, cfg.uid, cfg.gid, cfg.tmpfs) == ("/", 0, 0, ["/tmp"])
    assert cfg.allow_host_argv is False and cfg.allow_host_env == [] and cfg.env == []


def test_byte_layout():
    m = {"libos": {"entrypoint": "/a"}, "loader": {"argv": ["abcde"]}}
    data = compile_boot_config(m, ROOT)
    magic, total, count = struct.unpack_from("<8sII", data, 0)
    assert (magic, total, count) == (b"CVMCFG01", len(data), 7)
    assert data[16:28] == struct.pack("<HHI", 1, 0, 2) + b"/a\0\0"  # ENTRYPOINT, padded to 4
    assert data[28:44] == struct.pack("<HHI", 2, 0, 5) + b"abcde\0\0\0"  # ARG
    assert len(data) % 4 == 0


def test_same_manifest_same_bytes():
    a = manifest()
    b = manifest()
    b["loader"]["env"] = dict(reversed(list(b["loader"]["env"].items())))
    assert compile_boot_config(a, ROOT) == compile_boot_config(b, ROOT)


def test_compile_validates():
    with pytest.raises(InvalidManifestError, match="loader.argv"):
        compile_boot_config({"libos": {"entrypoint": "/a"}, "loader": {"argv": []}}, ROOT)
    with pytest.raises(ValueError):
        compile_boot_config(manifest(), b"short")


# -- malformed input: each check the kernel applies ---------------------------------


def blob(records: list[tuple[int, bytes]], flags: int = 0) -> bytes:
    out = r.RecordWriter()
    for rec_type, value in records:
        out.raw(rec_type, value)
    data = bytearray(out.finish())
    if flags:
        struct.pack_into("<H", data, 18, flags)
    return bytes(data)


def u32(n: int) -> bytes:
    return struct.pack("<I", n)


def minimal(replace: dict | None = None) -> list[tuple[int, bytes]]:
    recs = {
        r.ENTRYPOINT: [b"/bin/app"], r.ARG: [b"app"], r.CWD: [b"/"], r.UID: [u32(0)],
        r.GID: [u32(0)], r.DISK_ROOT: [ROOT],
    }
    recs.update(replace or {})
    return [(t, v) for t, values in recs.items() for v in values]


def test_minimal_blob_parses():
    assert parse_boot_config(blob(minimal())).entrypoint == "/bin/app"


@pytest.mark.parametrize(
    "records, message",
    [
        (minimal({r.ENTRYPOINT: []}), "0 ENTRYPOINT records"),
        (minimal({r.ENTRYPOINT: [b"/a", b"/b"]}), "2 ENTRYPOINT records"),
        (minimal({r.ARG: []}), "0 ARG records"),
        (minimal({r.ENTRYPOINT: [b"bin/app"]}), "not an absolute path"),
        (minimal({r.ARG: [b"a\0b"]}), "contains NUL"),
        (minimal({r.ARG: [b"\xff"]}), "not UTF-8"),
        (minimal({r.ARG: [b"x" * 131073]}), "longer than 131072"),
        (minimal({r.CWD: [b"/" + b"x" * 4096]}), "longer than 4096"),
        (minimal({r.ENV: [b"NOVALUE"]}), "not KEY=VALUE"),
        (minimal({r.ENV: [b"=x"]}), "not KEY=VALUE"),
        (minimal({r.UID: [b"\0\0\0"]}), "3 bytes, expected 4"),
        (minimal({r.UID: [u32(0xFFFFFFFF)]}), "not a valid id"),
        (minimal({r.DISK_ROOT: [ROOT[:47]]}), "DISK_ROOT is 47 bytes"),
        (minimal({r.ALLOW_HOST_ARGV: [u32(2)]}), "value 2, expected 1"),
        (minimal({r.ALLOW_HOST_ENV: [b"A=B"]}), "not a variable name"),
        (minimal({r.RLIMIT: [struct.pack("<IIQQ", 16, 0, 1, 1)]}), "bad resource 16"),
        (minimal({r.RLIMIT: [struct.pack("<IIQQ", 7, 1, 1, 1)]}), "reserved"),
        (minimal({r.RLIMIT: [struct.pack("<IIQQ", 7, 0, 2, 1)]}), "soft limit above hard"),
        (minimal({r.RLIMIT: [struct.pack("<IIQQ", 7, 0, 1, 1)] * 2}), "RLIMIT 7 given twice"),
        (minimal({r.RLIMIT: [b"\0" * 20]}), "20 bytes, expected 24"),
        (minimal({r.TMPFS: [b"/t%d" % i for i in range(65)]}), "65 TMPFS records"),
        (minimal() + [(20, b"")], "unknown type 20"),  # reserved for tdx, not read yet
        (minimal() + [(r.NET, b"")], "NET: 0 bytes, expected 96"),
        (minimal() + [(r.READ_ONLY_ROOT, u32(2))], "value 2, expected 1"),
    ],
)
def test_malformed_records(records, message):
    with pytest.raises(BadBundleError, match=message):
        parse_boot_config(blob(records))


def test_malformed_framing():
    good = blob(minimal())
    assert struct.unpack_from("<I", good, 12)[0] == 6
    cases = {
        "bad magic": b"CVMCFG02" + good[8:],
        "total_size": good + b"\0\0\0\0",
        "flags": blob(minimal(), flags=1),
        "after the last record": good[:8] + struct.pack("<II", len(good), 5) + good[16:],
        "past the end": good[:8] + struct.pack("<II", len(good), 7) + good[16:],
        # ENTRYPOINT "/bin/app" fills 16..32; ARG "app" is at 40..43, its pad byte at 43
        "non-zero padding": good[:43] + b"\x01" + good[44:],
        "size": good[:60],
    }
    for message, data in cases.items():
        with pytest.raises(BadBundleError, match=message):
            parse_boot_config(data)


def test_every_truncation_is_refused():
    good = blob(minimal())
    for cut in range(len(good)):
        with pytest.raises(BadBundleError):
            parse_boot_config(good[:cut])


# -- overrides ------------------------------------------------------------------------


def test_overrides_round_trip_with_permission():
    policy = parse_boot_config(compile_boot_config(manifest(insecure__use_cmdline_argv=True), ROOT))
    data = compile_overrides(HostRequest(["--port", "9"], {"TERM": "xterm", "LANG": "de_DE"}), policy)
    parsed = parse_overrides(data)
    assert parsed.argv_tail == ["--port", "9"]
    assert parsed.env == ["LANG=de_DE", "TERM=xterm"]
    assert compile_overrides(HostRequest(), policy) == b""
    assert parse_overrides(b"").argv_tail == []


def test_overrides_refused_without_permission():
    m = manifest()
    with pytest.raises(UsageError, match="extra arguments '--port'"):
        compile_overrides(HostRequest(["--port"]), m)
    with pytest.raises(UsageError, match="environment variable PATH refused"):
        compile_overrides(HostRequest(env={"PATH": "/evil"}), m)
    policy = parse_boot_config(compile_boot_config(m, ROOT))
    with pytest.raises(UsageError, match="environment variable HOME refused"):
        compile_overrides(HostRequest(env={"TERM": "x", "HOME": "/"}), policy)
    assert compile_overrides(HostRequest(env={"TERM": "x"}), m) == \
        compile_overrides(HostRequest(env={"TERM": "x"}), policy)
    for request, key in [
        (HostRequest(entrypoint="/bin/sh"), "loader.insecure__allow_entrypoint"),
        (HostRequest(workdir="/srv"), "loader.insecure__allow_workdir"),
        (HostRequest(user="0"), "loader.allowed_users"),
        (HostRequest(tmpfs=[TmpfsMount("/run")]), "fs.insecure__allow_host_tmpfs"),
    ]:
        with pytest.raises(UsageError, match=key.replace(".", r"\.")):
            compile_overrides(request, policy)


def test_docker_flag_overrides_round_trip_when_the_manifest_allows_them():
    m = manifest(insecure__allow_entrypoint=True, insecure__allow_workdir=True,
                 allowed_users=[{"user": "app", "uid": 1000, "gid": 1000, "groups": [27, 1000]},
                                {"uid": 0, "gid": 0}])
    m["fs"] = {"insecure__allow_host_tmpfs": True}
    policy = parse_boot_config(compile_boot_config(m, ROOT))
    assert policy.host_users == [(1000, 1000, [27, 1000], "app"), (0, 0, [0], None)]
    assert policy.allow_host_entrypoint and policy.allow_host_cwd and policy.allow_host_tmpfs
    for spec in ("app", "1000", "1000:1000", "app:1000"):
        data = compile_overrides(HostRequest(user=spec), policy)
        assert parse_overrides(data).user == (1000, 1000, [27, 1000])
    tmpfs = [TmpfsMount("/run", 65536, 0o755, 1000, 1000), TmpfsMount("/cache")]
    data = compile_overrides(HostRequest(entrypoint="/bin/sh", workdir="/srv", tmpfs=tmpfs), policy)
    parsed = parse_overrides(data)
    assert (parsed.entrypoint, parsed.cwd, parsed.tmpfs) == ("/bin/sh", "/srv", tmpfs)
    for bad in [HostRequest(user="app:0"), HostRequest(user="nobody"), HostRequest(entrypoint="sh"),
                HostRequest(tmpfs=[TmpfsMount("/")]), HostRequest(tmpfs=[TmpfsMount("run")]),
                HostRequest(tmpfs=[TmpfsMount("/run"), TmpfsMount("/run", 4096)])]:
        with pytest.raises(UsageError):
            compile_overrides(bad, policy)


def test_user_override_takes_the_entrys_groups():
    """Entries "app" (its memberships, as docker) and "1000:1000" (the gid
    alone, as docker for an explicit group) share uid and gid: -u app is
    ambiguous between them only by number, -u 1000:1000 picks the second."""
    m = manifest(allowed_users=[{"user": "app", "uid": 1000, "gid": 1000, "groups": [100, 1000, 2000]},
                                {"uid": 1000, "gid": 1000, "groups": [1000]}])
    policy = parse_boot_config(compile_boot_config(m, ROOT))
    assert parse_overrides(compile_overrides(HostRequest(user="app"), policy)).user == (1000, 1000, [100, 1000, 2000])
    assert parse_overrides(compile_overrides(HostRequest(user="1000:1000"), policy)).user == (1000, 1000, [1000])
    with pytest.raises(UsageError, match="more than one allowed user matches"):
        compile_overrides(HostRequest(user="1000"), policy)


def test_host_user_record_refuses_bad_group_lists():
    good = r.encode_host_user(1000, 1000, [100, 1000], "app")
    assert r.decode_host_user(good, "x") == (1000, 1000, [100, 1000], "app")
    for bad in (good[:8], good[:14], r.encode_host_user(1000, 1000, [0xFFFFFFFF], None),
                struct.pack("<III", 1000, 1000, 65) + bytes(65 * 4)):
        with pytest.raises(BadBundleError):
            r.decode_host_user(bad, "x")


def test_overrides_refuse_records_the_host_never_sends():
    with pytest.raises(BadBundleError, match="DISK_ROOT records are not allowed"):
        parse_overrides(blob([(r.DISK_ROOT, bytes(48))]))
    with pytest.raises(BadBundleError, match="UID and GID come together"):
        parse_overrides(blob([(r.UID, u32(0))]))
    with pytest.raises(BadBundleError):
        parse_overrides(b"\0" * 3)


def test_read_only_root_from_the_manifest_and_from_the_host():
    m = manifest()
    m["fs"] = {"read_only": True}
    assert parse_boot_config(compile_boot_config(m, ROOT)).read_only_root
    assert not parse_boot_config(compile_boot_config(manifest(), ROOT)).read_only_root
    policy = parse_boot_config(compile_boot_config(manifest(), ROOT))  # no permission needed
    assert parse_overrides(compile_overrides(HostRequest(read_only=True), policy)).read_only
