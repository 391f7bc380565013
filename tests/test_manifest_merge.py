"""Merging rules, base fragment selection and build_manifest precedence:
inferred < base fragments (generic, libc, language) < user manifest."""

from __future__ import annotations

import pytest

from cvmify.errors import InvalidManifestError, MissingLibraryError
from cvmify.manifest import build_manifest
from cvmify.manifest.base import base_manifest_dir, load_fragment, select_fragments
from cvmify.manifest.merge import merge_manifests
from tests.test_manifest_fakes import GLIBC_LD, MUSL_LD, FakeRoot, image_config, make_elf


def test_tables_merge_arrays_and_scalars_replace():
    base = {"loader": {"argv": ["a", "b"], "env": {"A": "1", "B": "2"}, "uid": 0}}
    override = {"loader": {"argv": ["c"], "env": {"B": {"passthrough": True}}, "uid": 5}}
    merged = merge_manifests(base, override)
    assert merged == {"loader": {"argv": ["c"], "env": {"A": "1", "B": {"passthrough": True}}, "uid": 5}}
    assert base["loader"]["argv"] == ["a", "b"]  # inputs untouched
    merged["loader"]["argv"].append("x")
    assert override["loader"]["argv"] == ["c"]


@pytest.mark.parametrize("name", ["generic", "glibc", "musl", "static", "python", "node", "java"])
def test_every_base_fragment_is_valid(name):
    assert (base_manifest_dir() / f"{name}.toml").is_file()
    assert isinstance(load_fragment(name), dict)


@pytest.mark.parametrize(
    "image, entrypoint, expected",
    [
        ({"interpreter": GLIBC_LD, "chain": ["/usr/bin/python3.11"]}, "/usr/bin/python3.11", ["generic", "glibc", "python"]),
        ({"interpreter": MUSL_LD, "chain": ["/usr/bin/node"]}, "/usr/bin/node", ["generic", "musl", "node"]),
        ({"chain": ["/app/run.sh", "/bin/busybox"]}, "/app/run.sh", ["generic", "static"]),
        ({"interpreter": GLIBC_LD, "chain": ["/usr/lib/jvm/x/bin/java"]}, "/usr/lib/jvm/x/bin/java", ["generic", "glibc", "java"]),
        ({"interpreter": GLIBC_LD, "chain": ["/a.py", "/usr/bin/env", "/usr/bin/python3"]}, "/a.py", ["generic", "glibc", "python"]),
        ({"interpreter": GLIBC_LD, "chain": ["/usr/bin/python3-config"]}, "/usr/bin/python3-config", ["generic", "glibc"]),
    ],
)
def test_fragment_selection(image, entrypoint, expected):
    assert select_fragments({"image": image, "libos": {"entrypoint": entrypoint}}) == expected


@pytest.fixture
def py_root(tmp_path):
    fake = FakeRoot(tmp_path)
    fake.glibc_base()
    fake.file("/usr/bin/python3.11", make_elf(interp=GLIBC_LD, needed=["libc.so.6"]))
    fake.symlink("/usr/bin/python3", "python3.11")
    fake.file("/bin/tool", make_elf())
    return fake


def test_precedence_inferred_base_user(py_root):
    cfg = image_config(Cmd=["python3", "app.py"], Env=["PATH=/usr/bin", "LANG=C.UTF-8"])
    plain = build_manifest(cfg, py_root.rootfs)
    python = load_fragment("python")
    assert plain["sys"]["memory"] == python["sys"]["memory"]  # language fragment beats generic
    assert plain["sys"]["cpus"] == load_fragment("generic")["sys"]["cpus"]
    assert plain["loader"]["env"]["LANG"] == "C.UTF-8"

    user = {"sys": {"memory": "3G"}, "loader": {"env": {"LANG": "en_US.UTF-8", "TERM": {"passthrough": True}}}}
    final = build_manifest(cfg, py_root.rootfs, user)
    assert final["sys"]["memory"] == "3G"
    assert final["sys"]["max_threads"] == python["sys"]["max_threads"]
    assert final["loader"]["env"] == {"PATH": "/usr/bin", "LANG": "en_US.UTF-8", "TERM": {"passthrough": True},
                                      "HOME": "/"}


def test_user_argv_changes_what_is_analysed(py_root):
    cfg = image_config(Cmd=["python3"])
    final = build_manifest(cfg, py_root.rootfs, {"loader": {"argv": ["tool", "--x"]}})
    assert final["libos"]["entrypoint"] == "/bin/tool"
    assert final["image"]["kind"] == "static"
    assert final["sys"]["memory"] == load_fragment("static")["sys"]["memory"]


def test_user_supplies_command_for_image_without_one(py_root):
    final = build_manifest(image_config(), py_root.rootfs, {"loader": {"argv": ["python3"]}})
    assert final["libos"]["entrypoint"] == "/usr/bin/python3.11"
    with pytest.raises(InvalidManifestError, match="no Entrypoint or Cmd"):
        build_manifest(image_config(), py_root.rootfs, {"sys": {"cpus": 2}})


def test_user_entrypoint_must_exist(py_root):
    with pytest.raises(MissingLibraryError, match="/opt/missing"):
        build_manifest(image_config(Cmd=["python3"]), py_root.rootfs, {"libos": {"entrypoint": "/opt/missing"}})


def test_user_manifest_errors_name_the_key(py_root):
    with pytest.raises(InvalidManifestError, match=r"--manifest: sys.cpus: expected integer, got string"):
        build_manifest(image_config(Cmd=["python3"]), py_root.rootfs, {"sys": {"cpus": "2"}})
    with pytest.raises(InvalidManifestError, match=r"--manifest: loader.colour: unknown key"):
        build_manifest(image_config(Cmd=["python3"]), py_root.rootfs, {"loader": {"colour": 1}})


def test_base_dir_override(monkeypatch, tmp_path, py_root):
    for name in ("generic", "glibc", "python"):
        (tmp_path / f"{name}.toml").write_text("")
    (tmp_path / "python.toml").write_text('[sys]\nmemory = "768M"\n')
    monkeypatch.setenv("CVMIFY_BASE_MANIFESTS", str(tmp_path))
    final = build_manifest(image_config(Cmd=["python3"]), py_root.rootfs)
    assert final["sys"] == {"memory": "768M"}
