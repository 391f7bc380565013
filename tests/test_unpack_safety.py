"""Crafted layers against the unpacker: each refusal is exact, and nothing
is ever written outside the staging directory.

Layers are written with tarfile, stored in an OCI layout (oci: transport),
and unpacked through the public interface, like a real image would be.
"""

from __future__ import annotations

import logging
import os
import stat
import tarfile
from pathlib import Path

import pytest

from cvmify.errors import CvmifyIOError, UnsafeImageError
from cvmify.image.source import open_image
from cvmify.image.staging import PACK_MAX_FILE
from cvmify.image.unpack import unpack
from tests.images.tarlayer import TarBuilder, tar_layer
from tests.test_image_support import write_layout


def snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def sandbox(tmp_path: Path):
    """`run(*layers)` unpacks the layers as one image, in a fresh
    tmp_path/runN/{layout,work,staging}, and checks that the only new
    files anywhere under tmp_path are flat blobs in that staging."""
    runs = []

    def run(*layers: bytes):
        base = tmp_path / f"run{len(runs)}"
        runs.append(base)
        write_layout(base / "layout", list(layers))
        before = snapshot(tmp_path)
        try:
            with open_image(f"oci:{base / 'layout'}", base / "work") as image:
                return unpack(image, base / "staging")
        finally:
            created = snapshot(tmp_path) - before
            prefix = f"{base.name}/staging/"
            allowed = {f"{base.name}/work", f"{base.name}/staging"}
            stray = {p for p in created - allowed
                     if not (p.startswith(prefix) and "/" not in p[len(prefix):])}
            assert stray == set(), f"written outside staging: {stray}"

    return run


def refused(run, *layers: bytes) -> str:
    with pytest.raises(UnsafeImageError) as info:
        run(*layers)
    return str(info.value)


def test_absolute_path_is_refused(sandbox):
    layer = tar_layer(lambda t: t.file("/etc/passwd", b"root::0:0::/:/bin/sh\n"))
    message = refused(sandbox, layer)
    assert message.startswith("layer 1/1 (sha256:")
    assert "member '/etc/passwd': absolute path '/etc/passwd' refused" in message
    assert "\n" not in message


def test_dotdot_escape_is_refused(sandbox):
    layer = tar_layer(lambda t: (t.dir("a"), t.file("a/../../x", b"escaped")))
    message = refused(sandbox, layer)
    assert "member 'a/../../x': path 'a/../../x' escapes the root" in message


def test_write_through_symlink_is_refused(sandbox, tmp_path):
    target = tmp_path / "victim"
    target.mkdir()

    def build(t: TarBuilder):
        t.symlink("etc", str(target))
        t.file("etc/owned", b"through the link")

    message = refused(sandbox, tar_layer(build))
    assert "member 'etc/owned': writes through symlink /etc" in message
    assert list(target.iterdir()) == []


def test_write_through_symlink_from_a_lower_layer_is_refused(sandbox):
    lower = tar_layer(lambda t: t.symlink("lib", "usr/lib"))
    upper = tar_layer(lambda t: t.file("lib/libc.so.6", b"x"))
    message = refused(sandbox, lower, upper)
    assert message.startswith("layer 2/2 ")
    assert "writes through symlink /lib" in message


def test_hardlink_to_missing_path_is_refused(sandbox):
    layer = tar_layer(lambda t: t.hardlink("passwd", "etc/shadow"))
    assert "member 'passwd': hard link to missing /etc/shadow" in refused(sandbox, layer)


def test_hardlink_outside_the_root_is_refused(sandbox):
    layer = tar_layer(lambda t: t.hardlink("passwd", "../../../etc/passwd"))
    assert "hard link: path '../../../etc/passwd' escapes the root" in refused(sandbox, layer)
    layer = tar_layer(lambda t: t.hardlink("passwd", "/etc/passwd"))
    assert "hard link: absolute path '/etc/passwd' refused" in refused(sandbox, layer)


def test_hardlink_through_symlink_is_refused(sandbox):
    def build(t: TarBuilder):
        t.dir("real")
        t.file("real/f", b"x")
        t.symlink("via", "real")
        t.hardlink("h", "via/f")

    assert "member 'h': hard link through symlink /via" in refused(sandbox, tar_layer(build))


def test_huge_pax_header_is_refused_before_it_is_read(sandbox):
    layer = tar_layer(lambda t: t.file("big", b"x"), fmt=tarfile.PAX_FORMAT)
    # A pax header claiming 64 MiB of records: refused from the size alone.
    header = tarfile.TarInfo("././@PaxHeader")
    header.type, header.size = tarfile.XHDTYPE, 64 << 20
    crafted = header.tobuf(tarfile.USTAR_FORMAT) + b"\0" * 1024
    message = refused(sandbox, crafted + layer)
    assert "pax header of 67108864 bytes (limit 1048576)" in message
    assert message.startswith("layer 1/1 ")


def test_long_name_is_refused(sandbox):
    name = "d/" + "n" * 200 + "/" + "m" * 200 + "/" + ("x" * 250 + "/") * 16 + "f"
    layer = tar_layer(lambda t: t.file(name, b"x"), fmt=tarfile.PAX_FORMAT)
    assert "member name longer than 4096 bytes" in refused(sandbox, layer)


def test_device_nodes_and_fifos_are_dropped(sandbox, caplog):
    def build(t: TarBuilder):
        t.dir("dev")
        t.special("dev/null", tarfile.CHRTYPE)
        t.special("dev/sda", tarfile.BLKTYPE)
        t.special("fifo", tarfile.FIFOTYPE)
        t.file("kept", b"ok")

    with caplog.at_level(logging.WARNING, logger="cvmify.image.unpack"):
        fs = sandbox(tar_layer(build))
    assert fs.lookup("/dev").children == {}
    assert fs.lookup("/fifo") is None
    assert fs.read("/kept") == b"ok"
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert dropped == ["3 device nodes or FIFOs dropped (the guest provides /dev): "
                       "/dev/null, /dev/sda, /fifo"]


def test_dropped_device_nodes_of_all_layers_make_one_line(sandbox, caplog):
    def layer(names):
        return tar_layer(lambda t: [t.special(n, tarfile.CHRTYPE) for n in names])

    with caplog.at_level(logging.WARNING, logger="cvmify.image.unpack"):
        sandbox(layer(["dev/a", "dev/b", "dev/c"]), layer(["dev/d", "dev/e"]))
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert dropped == ["5 device nodes or FIFOs dropped (the guest provides /dev): "
                       "/dev/a, /dev/b, /dev/c, /dev/d, ..."]


def test_setuid_uid_and_implicit_parents(sandbox):
    layer = tar_layer(lambda t: t.file("usr/local/bin/su", b"#!", mode=0o4755, uid=1234))
    fs = sandbox(layer)
    node = fs.lookup("/usr/local/bin/su")
    assert stat.S_ISREG(node.mode) and stat.S_IMODE(node.mode) == 0o4755
    assert node.uid == 1234 and node.mtime == 1700000000
    parent = fs.lookup("/usr/local")
    assert parent.is_dir and stat.S_IMODE(parent.mode) == 0o755 and parent.uid == 0


def test_file_replaces_directory_and_back(sandbox):
    lower = tar_layer(lambda t: (t.dir("x"), t.file("x/inner", b"1"), t.file("y", b"file")))
    upper = tar_layer(lambda t: (t.file("x", b"now a file"), t.dir("y"), t.file("y/z", b"2")))
    fs = sandbox(lower, upper)
    assert fs.read("/x") == b"now a file"
    assert fs.lookup("/y").is_dir and fs.read("/y/z") == b"2"


def test_replaced_large_files_free_their_blobs(sandbox):
    old, new = b"o" * (PACK_MAX_FILE + 1), b"n" * (PACK_MAX_FILE + 1)
    lower = tar_layer(lambda t: (t.file("a", old), t.hardlink("b", "a")))
    upper = tar_layer(lambda t: (t.file("a", new), t.file(".wh.c", b"")))
    fs = sandbox(lower, upper)
    assert fs.read("/a") == new and fs.read("/b") == old  # b keeps the old inode
    assert sorted(p.read_bytes() for p in fs.staging.iterdir()) == [new, old]
    gone = tar_layer(lambda t: t.file(".wh.b", b""))
    fs = sandbox(lower, upper, gone)
    assert fs.lookup("/b") is None
    assert sorted(p.read_bytes() for p in fs.staging.iterdir()) == [new]


def test_small_files_share_one_pack_per_layer(sandbox):
    lower = tar_layer(lambda t: [t.file(f"f{i}", b"%d" % i * (i + 1)) for i in range(50)]
                      + [t.file("empty", b""), t.hardlink("link", "f7")])
    upper = tar_layer(lambda t: (t.file("f3", b"replaced"), t.file("g", b"x" * PACK_MAX_FILE)))
    fs = sandbox(lower, upper)
    assert len(list(fs.staging.iterdir())) == 2  # one pack per layer, not one file per file
    for i in range(50):
        assert fs.read(f"/f{i}") == (b"replaced" if i == 3 else b"%d" % i * (i + 1))
    assert fs.read("/empty") == b"" and fs.lookup("/empty").blob is None
    assert fs.lookup("/link") is fs.lookup("/f7")
    assert fs.read("/g") == b"x" * PACK_MAX_FILE  # the largest size still packed
    assert fs.read("/f10", limit=4) == b"1010"


def test_whiteouts_do_not_hide_their_own_layer(sandbox):
    lower = tar_layer(lambda t: (t.dir("d"), t.file("d/old", b"1")))
    upper = tar_layer(lambda t: (t.dir("d"), t.file("d/new", b"2"), t.file("d/.wh..wh..opq"),
                                 t.file("e", b"3"), t.file(".wh.e")))
    fs = sandbox(lower, upper)
    assert sorted(fs.lookup("/d").children) == ["new"]
    assert fs.read("/e") == b"3"


def test_staging_is_never_overwritten(tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "00000001").write_bytes(b"precious")
    write_layout(tmp_path / "layout", [tar_layer(lambda t: t.file("f", b"x"))])
    with open_image(f"oci:{tmp_path / 'layout'}", tmp_path / "work") as image:
        with pytest.raises(CvmifyIOError) as info:
            unpack(image, staging)
    assert "cannot write" in str(info.value)
    assert (staging / "00000001").read_bytes() == b"precious"
    assert not os.path.exists(tmp_path / "f")


def test_gnu_long_name_is_refused_before_it_is_read(sandbox):
    name = ("x" * 250 + "/") * 20 + "f"  # 5021 bytes, sent as a GNU long-name header
    layer = tar_layer(lambda t: t.file(name, b"x"), fmt=tarfile.GNU_FORMAT)
    assert "GNU long name of 5022 bytes (limit 4096)" in refused(sandbox, layer)


def test_member_count_limit(sandbox, monkeypatch):
    monkeypatch.setattr("cvmify.image.layer_scan.MAX_MEMBERS", 3)
    layer = tar_layer(lambda t: [t.file(f"f{i}", b"") for i in range(4)])
    assert refused(sandbox, layer).endswith("more than 3 members")
