"""Validation messages (with key paths), size parsing, TOML load and render."""

from __future__ import annotations

import tomllib

import pytest

from cvmify.errors import CvmifyIOError, InvalidManifestError
from cvmify.manifest.load import load_manifest_file
from cvmify.manifest.render import render_toml
from cvmify.manifest.schema import parse_size, validate_fragment, validate_manifest


def good() -> dict:
    return {
        "libos": {"entrypoint": "/usr/bin/python3.11"},
        "loader": {
            "argv": ["python3", "-c", "print(1)"],
            "env": {"PATH": "/usr/bin", "TERM": {"passthrough": True}, "LANG": {"value": "C", "passthrough": True}},
            "insecure__use_cmdline_argv": False,
            "uid": 1000,
            "gid": 1000,
            "groups": [100],
            "user": "app",
            "rlimits": {"nofile": [1024, 4096], "stack": "unlimited", "core": [0, "unlimited"]},
        },
        "fs": {"start_dir": "/app", "mounts": [{"type": "tmpfs", "path": "/tmp"}, {"type": "tmpfs", "path": "/data", "origin": "volume"}]},
        "sys": {"memory": "512M", "cpus": 1, "max_threads": 4},
        "image": {"kind": "glibc", "interpreter": "/lib64/ld-linux-x86-64.so.2", "libraries": ["/lib/libc.so.6"],
                  "exposed_ports": ["8080/tcp"], "stop_signal": "SIGTERM", "program": "/usr/bin/python3.11",
                  "chain": ["/usr/bin/python3.11"]},
    }


def test_good_manifest_validates():
    validate_manifest(good())


def mutated(path: str, value) -> dict:
    m = good()
    node = m
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value
    return m


@pytest.mark.parametrize(
    "path, value, message",
    [
        ("loader.argv", ["a", "b", 3], "loader.argv[2]: expected string, got integer"),
        ("loader.argv", [], "loader.argv: must have 1 to 4096 elements, got 0"),
        ("libos.entrypoint", "python3", "libos.entrypoint: must be an absolute path, got 'python3'"),
        ("loader.uid", -1, "loader.uid: must be between 0 and 4294967294, got -1"),
        ("loader.gid", 1 << 32, "loader.gid: must be between 0 and 4294967294"),
        ("loader.uid", True, "loader.uid: expected integer, got boolean"),
        ("loader.groups", [1, "2"], "loader.groups[1]: expected integer, got string"),
        ("loader.insecure__use_cmdline_argv", "yes", "loader.insecure__use_cmdline_argv: expected boolean, got string"),
        ("loader.env", {"A=B": "x"}, "loader.env.A=B: invalid variable name"),
        ("loader.env", {"A": 1}, "loader.env.A: expected string or table, got integer"),
        ("loader.env", {"A": {"passthrough": "yes"}}, "loader.env.A.passthrough: expected boolean, got string"),
        ("loader.env", {"A": {"default": "x"}}, "loader.env.A.default: unknown key"),
        ("loader.env", {"A": "a\0b"}, "loader.env.A: contains a NUL character"),
        ("loader.rlimits", {"files": 5}, "loader.rlimits.files: unknown resource"),
        ("loader.rlimits", {"nofile": [5]}, "loader.rlimits.nofile: expected [soft, hard]"),
        ("loader.rlimits", {"nofile": [9, 5]}, "loader.rlimits.nofile: soft limit above hard limit"),
        ("loader.rlimits", {"nofile": [-1, 5]}, "loader.rlimits.nofile[0]: expected a non-negative integer"),
        ("fs.start_dir", "app", "fs.start_dir: must be an absolute path"),
        ("fs.mounts", [{"type": "tmpfs", "path": "data"}], "fs.mounts[0].path: must be an absolute path"),
        ("fs.mounts", [{"type": "nfs", "path": "/d"}], "fs.mounts[0].type: must be one of tmpfs"),
        ("fs.mounts", [{"type": "tmpfs"}], "fs.mounts[0].path: missing"),
        ("fs.mounts", [{"type": "tmpfs", "path": "/d/"}], "fs.mounts[0].path: must be a normalized path"),
        ("fs.mounts", [{"type": "tmpfs", "path": "/"}], "fs.mounts[0].path: must be a normalized path other than '/'"),
        ("fs.mounts", [{"type": "tmpfs", "path": "/d"}, {"type": "tmpfs", "path": "/d"}], "fs.mounts[1].path: /d is mounted twice"),
        ("fs.mounts", [{"type": "tmpfs", "path": f"/m{i}"} for i in range(64)], "fs.mounts: more than 64 mounts"),
        ("sys.memory", "lots", "sys.memory: not a size like '512M' or '2G': 'lots'"),
        ("sys.memory", "1M", "sys.memory: must be at least 32M"),
        ("sys.memory", 512, "sys.memory: expected string, got integer"),
        ("sys.cpus", 0, "sys.cpus: must be between 1 and 64, got 0"),
        ("sys.max_threads", 1.5, "sys.max_threads: expected integer, got float"),
        ("image.kind", "go", "image.kind: must be one of glibc, musl, static, script, got 'go'"),
        ("sys.swap", "1G", "sys.swap: unknown key"),
    ],
)
def test_validation_messages(path, value, message):
    with pytest.raises(InvalidManifestError) as info:
        validate_manifest(mutated(path, value))
    assert message in str(info.value)


def test_missing_required_keys():
    with pytest.raises(InvalidManifestError, match="^libos: missing$"):
        validate_manifest({"loader": {"argv": ["a"]}})
    with pytest.raises(InvalidManifestError, match="^loader.argv: missing$"):
        validate_manifest({"libos": {"entrypoint": "/a"}, "loader": {}})
    with pytest.raises(InvalidManifestError, match="manifest: expected table, got array"):
        validate_manifest([])


def test_fragment_skips_required_but_checks_types():
    validate_fragment({"sys": {"memory": "1G"}})
    with pytest.raises(InvalidManifestError, match="^f.toml: sys.memory: expected string, got integer$"):
        validate_fragment({"sys": {"memory": 1}}, "f.toml")


@pytest.mark.parametrize("text, size", [("512M", 512 << 20), ("2G", 2 << 30), ("64k", 64 << 10), ("1GiB", 1 << 30), ("4096", 4096)])
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "M", "1.5G", "-1M", "2X"])
def test_parse_size_rejects(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_render_is_deterministic_and_round_trips():
    m = good()
    text = render_toml(m)
    assert text.startswith("# cvmify manifest")
    assert tomllib.loads(text) == m
    shuffled = {key: m[key] for key in reversed(list(m))}
    shuffled["loader"] = {key: m["loader"][key] for key in reversed(list(m["loader"]))}
    assert render_toml(shuffled) == text
    assert text.index("[libos]") < text.index("[loader]") < text.index("[fs]") < text.index("[sys]") < text.index("[image]")


def test_load_manifest_file(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('loader.argv = ["/bin/app", "x"]\nloader.env.TERM = { passthrough = true }\n')
    assert load_manifest_file(path) == {"loader": {"argv": ["/bin/app", "x"], "env": {"TERM": {"passthrough": True}}}}


def test_load_manifest_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("loader.argv = [\n")
    with pytest.raises(InvalidManifestError, match="bad.toml: invalid TOML"):
        load_manifest_file(bad)
    with pytest.raises(CvmifyIOError, match="cannot read manifest"):
        load_manifest_file(tmp_path / "absent.toml")
