"""Manifest inference on the real test images (tests/images/), unpacked by
the real image pipeline from the docker daemon."""

from __future__ import annotations

import re

import pytest

from cvmify.image.source import open_image
from cvmify.image.unpack import unpack
from cvmify.manifest import build_manifest
from cvmify.manifest.base import load_fragment
from cvmify.manifest.bootconfig import compile_boot_config, parse_boot_config
from cvmify.manifest.render import render_toml
from cvmify.manifest.schema import validate_manifest

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    """tag -> (image config, RootFS); each image is unpacked once per module."""
    seen = {}

    def get(tag: str):
        if tag not in seen:
            work = tmp_path_factory.mktemp("manifest-image")
            with open_image(f"docker-daemon:{tag}", work / "work") as image:
                seen[tag] = (image.config, unpack(image, work / "staging"))
        return seen[tag]

    return get


def build(unpacked, tag: str, user: dict | None = None) -> dict:
    config, rootfs = unpacked(tag)
    m = build_manifest(config, rootfs, user)
    validate_manifest(m)
    assert parse_boot_config(compile_boot_config(m, bytes(48))).entrypoint == m["libos"]["entrypoint"]
    return m


def test_busybox_is_static(unpacked, busybox_image):
    m = build(unpacked, busybox_image)
    assert m["loader"]["argv"] == ["/bin/sh"]
    assert m["libos"]["entrypoint"] == "/bin/busybox"  # /bin/sh is a symlink to it
    assert m["image"]["kind"] == "static"
    assert "interpreter" not in m["image"] and m["image"]["libraries"] == []
    assert m["sys"]["memory"] == load_fragment("static")["sys"]["memory"]


def test_python3_glibc_libraries_resolved(unpacked, python3_image):
    m = build(unpacked, python3_image)
    _, rootfs = unpacked(python3_image)
    assert re.fullmatch(r"/usr/bin/python3\.\d+", m["libos"]["entrypoint"])
    assert m["loader"]["argv"] == ["python3"]
    assert m["image"]["kind"] == "glibc"
    assert m["image"]["interpreter"] == "/lib64/ld-linux-x86-64.so.2"
    names = {lib.rsplit("/", 1)[1] for lib in m["image"]["libraries"]}
    assert {"libc.so.6", "libm.so.6", "libz.so.1", "libexpat.so.1"} <= names
    for lib in m["image"]["libraries"]:
        assert rootfs.lookup(lib) is not None and rootfs.lookup(lib).is_file
    assert m["sys"]["memory"] == load_fragment("python")["sys"]["memory"]


def test_nonroot_user_from_image_passwd(unpacked, nonroot_image):
    m = build(unpacked, nonroot_image)
    assert (m["loader"]["uid"], m["loader"]["gid"], m["loader"]["groups"]) == (1000, 1000, [50, 1000])  # as docker: gid and membership
    assert m["loader"]["user"] == "app"
    assert m["fs"]["start_dir"] == "/home/app"
    assert m["loader"]["argv"] == ["/bin/sh", "-c", "id"]


def test_script_image_every_config_field(unpacked, script_image):
    m = build(unpacked, script_image)
    assert m["loader"]["argv"] == ["/app/run.sh", "first-arg", "second arg"]
    assert m["libos"]["entrypoint"] == "/app/run.sh"
    assert m["image"]["kind"] == "script"
    assert m["image"]["chain"] == ["/app/run.sh", "/bin/busybox"]
    assert m["fs"]["start_dir"] == "/app/work"
    assert m["loader"]["env"]["GREETING"] == "hello from the script image"
    assert m["loader"]["env"]["APP_MODE"] == "test"
    assert {"type": "tmpfs", "path": "/data", "origin": "volume"} in m["fs"]["mounts"]
    assert m["image"]["exposed_ports"] == ["8080/tcp"]
    assert m["image"]["stop_signal"] == "SIGINT"
    cfg = parse_boot_config(compile_boot_config(m, bytes(48)))
    assert cfg.tmpfs == ["/tmp", "/data"]
    assert "GREETING=hello from the script image" in cfg.env


def test_user_manifest_on_real_image(unpacked, cprogs_image):
    user = {"loader": {"argv": ["/hello-pie"], "env": {"TERM": {"passthrough": True}}}, "sys": {"memory": "64M"}}
    m = build(unpacked, cprogs_image, user)
    assert m["libos"]["entrypoint"] == "/hello-pie"
    assert m["image"]["kind"] == "static"
    assert m["sys"]["memory"] == "64M"
    assert "[loader.env.TERM]" in render_toml(m)


def test_python_script_entrypoint(unpacked, python3_image):
    """Debian's pydoc3 is a `#! /usr/bin/python3.x` script."""
    m = build(unpacked, python3_image, {"loader": {"argv": ["pydoc3", "-k", "zip"]}})
    assert m["image"]["kind"] == "script"
    assert re.fullmatch(r"/usr/bin/pydoc3\.\d+", m["libos"]["entrypoint"])
    assert re.fullmatch(r"/usr/bin/python3\.\d+", m["image"]["program"])
    assert m["sys"]["memory"] == load_fragment("python")["sys"]["memory"]
