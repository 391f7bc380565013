"""Inference from image config + hand-built rootfs: argv, entrypoint
resolution, shebang chains, env, volumes, missing pieces."""

from __future__ import annotations

import pytest

from cvmify.errors import InvalidManifestError, MissingLibraryError, UnsupportedImageError
from cvmify.manifest.paths import DEFAULT_PATH
from cvmify.manifest.infer import infer_manifest, infer_settings
from tests.test_manifest_fakes import EM_AARCH64, GLIBC_LD, MUSL_LD, FakeRoot, image_config, make_elf


@pytest.fixture
def root(tmp_path):
    fake = FakeRoot(tmp_path / "blobs")
    fake.glibc_base()
    return fake


def test_path_search_follows_symlinks_to_canonical_path(root):
    root.file("/usr/bin/python3.11", make_elf(interp=GLIBC_LD, needed=["libc.so.6"]))
    root.symlink("/usr/bin/python3", "python3.11")
    cfg = image_config(Cmd=["python3", "-c", "print(1)"], Env=["PATH=/usr/local/bin:/usr/bin"])
    m = infer_manifest(cfg, root.rootfs)
    assert m["libos"]["entrypoint"] == "/usr/bin/python3.11"
    assert m["loader"]["argv"] == ["python3", "-c", "print(1)"]
    assert m["image"]["kind"] == "glibc"
    assert m["image"]["interpreter"] == GLIBC_LD
    assert m["image"]["libraries"] == [
        "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        "/lib/x86_64-linux-gnu/libc.so.6",
    ]


def test_path_order_and_executable_bit(root):
    root.file("/usr/local/bin/tool", make_elf(), mode=0o644)  # first on PATH, not executable
    root.file("/usr/bin/tool", make_elf())
    m = infer_manifest(image_config(Entrypoint=["tool"]), root.rootfs)
    assert m["libos"]["entrypoint"] == "/usr/bin/tool"
    assert m["image"]["kind"] == "static"
    assert "interpreter" not in m["image"]


def test_entrypoint_plus_cmd(root):
    root.file("/bin/app", make_elf())
    m = infer_manifest(image_config(Entrypoint=["/bin/app", "-v"], Cmd=["serve"]), root.rootfs)
    assert m["loader"]["argv"] == ["/bin/app", "-v", "serve"]


def test_relative_argv0_uses_working_dir(root):
    root.file("/srv/app/bin/run", make_elf())
    m = infer_manifest(image_config(Cmd=["./bin/run"], WorkingDir="/srv/app"), root.rootfs)
    assert m["libos"]["entrypoint"] == "/srv/app/bin/run"
    assert m["fs"]["start_dir"] == "/srv/app"


def test_no_command_is_an_error(root):
    with pytest.raises(InvalidManifestError, match="no Entrypoint or Cmd"):
        infer_manifest(image_config(Env=["A=1"]), root.rootfs)


def test_entrypoint_not_found(root):
    with pytest.raises(MissingLibraryError, match="entrypoint nope not found"):
        infer_manifest(image_config(Cmd=["nope"]), root.rootfs)


def test_missing_library_names_it_and_who_needs_it(root):
    root.file("/usr/bin/app", make_elf(interp=GLIBC_LD, needed=["libc.so.6", "libssl.so.3"]))
    with pytest.raises(MissingLibraryError, match="libssl.so.3 needed by /usr/bin/app"):
        infer_manifest(image_config(Cmd=["/usr/bin/app"]), root.rootfs)


def test_missing_transitive_library(root):
    root.file("/usr/lib/libfoo.so.1", make_elf(needed=["libbar.so.2"]))
    root.file("/usr/bin/app", make_elf(interp=GLIBC_LD, needed=["libfoo.so.1"]))
    with pytest.raises(MissingLibraryError, match="libbar.so.2 needed by /usr/lib/libfoo.so.1"):
        infer_manifest(image_config(Cmd=["/usr/bin/app"]), root.rootfs)


def test_missing_interpreter(tmp_path):
    fake = FakeRoot(tmp_path)
    fake.file("/app", make_elf(interp=GLIBC_LD))
    with pytest.raises(MissingLibraryError, match="interpreter /lib64/ld-linux-x86-64.so.2 needed by /app"):
        infer_manifest(image_config(Cmd=["/app"]), fake.rootfs)


def test_foreign_architecture_is_unsupported(root):
    root.file("/app", make_elf(machine=EM_AARCH64))
    with pytest.raises(UnsupportedImageError, match="EM_AARCH64"):
        infer_manifest(image_config(Cmd=["/app"]), root.rootfs)


def test_neither_elf_nor_script(root):
    root.file("/app", b"just text\n")
    with pytest.raises(UnsupportedImageError, match="neither an ELF"):
        infer_manifest(image_config(Cmd=["/app"]), root.rootfs)


def test_shebang_chain_to_static_binary(root):
    root.file("/bin/busybox", make_elf())
    root.symlink("/bin/sh", "busybox")
    root.file("/app/run.sh", "#!/bin/sh\necho hi\n")
    m = infer_manifest(image_config(Cmd=["/app/run.sh"]), root.rootfs)
    assert m["image"]["kind"] == "script"
    assert m["image"]["program"] == "/bin/busybox"
    assert m["image"]["chain"] == ["/app/run.sh", "/bin/busybox"]
    assert m["libos"]["entrypoint"] == "/app/run.sh"


def test_shebang_usr_bin_env_searches_path(root):
    root.file("/usr/bin/env", make_elf(interp=GLIBC_LD, needed=["libc.so.6"]))
    root.file("/opt/py/bin/python3", make_elf(interp=GLIBC_LD, needed=["libpython3.so"]))
    root.file("/opt/py/lib/libpython3.so", make_elf(needed=["libc.so.6"]))
    root.file("/app/main.py", "#!/usr/bin/env python3\nprint(1)\n")
    cfg = image_config(Cmd=["/app/main.py"], Env=["PATH=/opt/py/bin:/usr/bin", "LD_LIBRARY_PATH=/opt/py/lib"])
    m = infer_manifest(cfg, root.rootfs)
    assert m["image"]["chain"] == ["/app/main.py", "/usr/bin/env", "/opt/py/bin/python3"]
    assert m["image"]["program"] == "/opt/py/bin/python3"
    assert "/opt/py/lib/libpython3.so" in m["image"]["libraries"]


def test_env_target_missing(root):
    root.file("/usr/bin/env", make_elf())
    root.file("/app/main.js", "#!/usr/bin/env node\n")
    with pytest.raises(MissingLibraryError, match="program node .* not on PATH"):
        infer_manifest(image_config(Cmd=["/app/main.js"]), root.rootfs)


def test_shebang_interpreter_missing(root):
    root.file("/app/run", "#!/bin/bash -e\n")
    with pytest.raises(MissingLibraryError, match="interpreter /bin/bash of script /app/run"):
        infer_manifest(image_config(Cmd=["/app/run"]), root.rootfs)


def test_shebang_nesting_limit(root):
    root.file("/bin/sh", make_elf())
    root.file("/s0", "#!/bin/sh\n")
    for i in range(1, 6):
        root.file(f"/s{i}", f"#!/s{i - 1}\n")
    assert infer_manifest(image_config(Cmd=["/s3"]), root.rootfs)["image"]["program"] == "/bin/sh"
    with pytest.raises(UnsupportedImageError, match="more than 4 levels"):
        infer_manifest(image_config(Cmd=["/s4"]), root.rootfs)


def test_musl_program(tmp_path):
    fake = FakeRoot(tmp_path)
    fake.file("/lib/ld-musl-x86_64.so.1", make_elf())
    fake.symlink("/lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1")
    fake.file("/usr/lib/libz.so.1", make_elf(needed=["libc.musl-x86_64.so.1"]))
    fake.file("/bin/app", make_elf(interp=MUSL_LD, needed=["libz.so.1", "libc.musl-x86_64.so.1"]))
    m = infer_manifest(image_config(Cmd=["/bin/app"]), fake.rootfs)
    assert m["image"]["kind"] == "musl"
    assert m["image"]["libraries"] == ["/lib/libc.musl-x86_64.so.1", "/usr/lib/libz.so.1"]


def test_env_volumes_ports_signal_workdir(root):
    root.file("/bin/app", make_elf())
    cfg = image_config(
        Cmd=["/bin/app"],
        Env=["A=1", "B=x=y", "A=2", "BROKEN"],
        Volumes={"/data": {}, "/tmp": {}},
        ExposedPorts={"8080/tcp": {}, "53/udp": {}},
        StopSignal="QUIT",
        WorkingDir="/srv/../srv/app/",
    )
    m = infer_manifest(cfg, root.rootfs)
    assert m["loader"]["env"] == {"A": "2", "B": "x=y", "PATH": DEFAULT_PATH, "HOME": "/"}
    assert m["fs"]["mounts"] == [
        {"type": "tmpfs", "path": "/tmp"},
        {"type": "tmpfs", "path": "/data", "origin": "volume"},
    ]
    assert m["image"]["exposed_ports"] == ["53/udp", "8080/tcp"]
    assert m["image"]["stop_signal"] == "SIGQUIT"
    assert m["fs"]["start_dir"] == "/srv/app"
    assert m["loader"]["uid"] == 0 and m["loader"]["gid"] == 0
    assert m["loader"]["insecure__use_cmdline_argv"] is False


def test_docker_inspect_style_config_is_accepted(root):
    root.file("/bin/app", make_elf())
    m = infer_manifest({"Cmd": ["/bin/app"], "Env": ["X=1"]}, root.rootfs)
    assert m["loader"]["env"] == {"X": "1", "PATH": DEFAULT_PATH, "HOME": "/"}


@pytest.mark.parametrize("user, home", [("", "/root"), ("app", "/home/app"), ("1234", "/"), ("nobody", "/nonexistent")])
def test_home_comes_from_the_users_passwd_entry_as_docker_sets_it(tmp_path, user, home):
    fake = FakeRoot(tmp_path)
    fake.etc("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"
             "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", "")
    m = infer_settings({"config": {"User": user, "Cmd": ["x"]}}, fake.rootfs)
    assert m["loader"]["env"]["HOME"] == home
    m = infer_settings({"config": {"User": user, "Env": ["HOME=/mine"]}}, fake.rootfs)
    assert m["loader"]["env"]["HOME"] == "/mine"
