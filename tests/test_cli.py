"""The command line: flags reach the library calls exactly, errors become
one line and an exit code, and `run` builds the QEMU argv we expect."""

from __future__ import annotations

import subprocess
import sys

import shlex
from dataclasses import dataclass, field
import shutil
from pathlib import Path
from unittest import mock

import pytest
from typer.testing import CliRunner

from cvmify import cli, paths
from cvmify.commands.run import RunResult
from cvmify.errors import IntegrityError
from cvmify.manifest.overrides import parse_overrides
from tests.conftest import require_tools
from cvmify.launch import control as ctl
from tests.fake_bundle import build_stub_kernel, exit_frame, make_bundle

runner = CliRunner()
QEMU = "qemu-system-x86_64"


@dataclass
class FakeResult:
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"lines": self.lines}

    def text_lines(self) -> list[str]:
        return self.lines


def invoke(*args: str, env: dict | None = None):
    base = {"CVMIFY_QEMU": None, "CVMIFY_KERNEL": None, "SOURCE_DATE_EPOCH": None}
    return runner.invoke(cli.app, list(args), env={**base, **(env or {})})


@pytest.fixture
def stub_kernel(tmp_path: Path) -> Path:
    require_tools("gcc", "ld")
    return build_stub_kernel(tmp_path / "stub", com1="hello from the stub\n", com2="stub stderr\n",
                             com3="cvmify: exit 0\n",  # the log: never parsed
                             control=ctl.encode(ctl.TRACE, b"1 write 1") + exit_frame(3))


@pytest.fixture
def bundle(tmp_path: Path, stub_kernel: Path) -> Path:
    return make_bundle(tmp_path / "b.bundle", stub_kernel, allow_host_argv=True, allow_host_env=("GREETING",))


@pytest.fixture
def xdg_cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


# -- build -----------------------------------------------------------------


def test_build_passes_exact_arguments(tmp_path):
    kernel = tmp_path / "k.elf"
    kernel.write_bytes(b"\x7fELF")
    result_obj = FakeResult(["bundle: out"], ["dev key"])
    with mock.patch.object(cli, "build_bundle", return_value=result_obj) as build:
        result = invoke("build", "docker-daemon:x:1", "-o", str(tmp_path / "out"), "--kernel", str(kernel),
                        "--manifest", "m.toml", "--key", "k.hex", "--force",
                        env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert result.exit_code == 0, result.stderr
    build.assert_called_once_with(
        "docker-daemon:x:1", tmp_path / "out", kernel=kernel, manifest_file=Path("m.toml"),
        key_file=Path("k.hex"), force=True, epoch=1700000000, td_kernel=paths.td_kernel_path(None, kernel),
    )
    assert result.stdout == "bundle: out\n"
    assert result.stderr == "cvmify: warning: dev key\n"


def test_build_kernel_from_environment(tmp_path):
    kernel = tmp_path / "env-kernel.elf"
    kernel.write_bytes(b"\x7fELF")
    with mock.patch.object(cli, "build_bundle", return_value=FakeResult()) as build:
        result = invoke("build", "img", "-o", str(tmp_path / "out"), env={"CVMIFY_KERNEL": str(kernel)})
    assert result.exit_code == 0, result.stderr
    assert build.call_args.kwargs["kernel"] == kernel
    assert build.call_args.kwargs["epoch"] is None


@pytest.mark.parametrize(
    "args,env,message",
    [
        (["--kernel", "/no/such/kernel"], {}, "--kernel /no/such/kernel: no such file"),
        ([], {"CVMIFY_KERNEL": "/no/such/kernel"}, "$CVMIFY_KERNEL"),
        ([], {"SOURCE_DATE_EPOCH": "soon", "CVMIFY_KERNEL": "/bin/sh"}, "SOURCE_DATE_EPOCH"),
    ],
)
def test_build_usage_errors(tmp_path, args, env, message):
    with mock.patch.object(cli, "build_bundle") as build:
        result = invoke("build", "img", "-o", str(tmp_path / "out"), *args, env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith("cvmify: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    build.assert_not_called()


def test_build_json_error_envelope(tmp_path):
    with mock.patch.object(cli, "build_bundle", side_effect=IntegrityError("layer digest mismatch")):
        result = invoke("build", "img", "-o", str(tmp_path / "o"), "--kernel", "/bin/sh", "--json")
    assert result.exit_code == 7
    assert '"code": "integrity"' in result.stdout
    assert result.stderr == "cvmify: error: layer digest mismatch\n"


def test_unexpected_exception_is_one_line_without_traceback_unless_debug(tmp_path):
    with mock.patch.object(cli, "build_bundle", side_effect=ZeroDivisionError("boom")):
        quiet = invoke("build", "img", "-o", str(tmp_path / "o"), "--kernel", "/bin/sh")
        loud = invoke("--debug", "build", "img", "-o", str(tmp_path / "o"), "--kernel", "/bin/sh")
    assert quiet.exit_code == 1 and loud.exit_code == 1
    assert quiet.stderr == "cvmify: error: internal error: boom (run with --debug for the traceback)\n"
    assert "Traceback" in loud.stderr and "ZeroDivisionError" in loud.stderr


def test_key_file_formats(tmp_path):
    from cvmify.commands.keys import load_key_file
    from cvmify.errors import UsageError

    key = bytes(range(32))
    raw, hexed, bad = tmp_path / "raw", tmp_path / "hex", tmp_path / "bad"
    raw.write_bytes(key)
    hexed.write_text(key.hex() + "\n")
    assert load_key_file(raw) == key and load_key_file(hexed) == key
    for content in (b"", key[:31], key + b"x", b"zz" * 32, key.hex().encode() + b"\n\n"):
        bad.write_bytes(content)
        with pytest.raises(UsageError):
            load_key_file(bad)
    with pytest.raises(UsageError):
        load_key_file(tmp_path / "missing")


# -- other commands route to their library call ------------------------------


def test_inspect_and_measure_and_manifest_arguments(tmp_path):
    fake = FakeResult(["ok"])
    with mock.patch.object(cli, "inspect_bundle", return_value=fake) as inspect:
        assert invoke("inspect", "b", "--verify").exit_code == 0
    inspect.assert_called_once_with(Path("b"), verify=True)
    with mock.patch.object(cli, "measure_bundle", return_value=fake) as measure:
        assert invoke("measure", "b").exit_code == 0
    measure.assert_called_once_with(Path("b"), mrtd_order="single")
    with mock.patch.object(cli, "show_manifest", return_value=fake) as show:
        assert invoke("manifest", "img", "--manifest", "m.toml").exit_code == 0
    show.assert_called_once_with("img", Path("m.toml"))


def test_inspect_verify_failure_exits_with_integrity_code(tmp_path):
    with mock.patch.object(cli, "inspect_bundle", side_effect=IntegrityError("b: verification failed: x")):
        result = invoke("inspect", "b", "--verify")
    assert result.exit_code == 7
    assert result.stderr == "cvmify: error: b: verification failed: x\n"


# -- run ---------------------------------------------------------------------


def dry_run_argv(*args: str) -> list[str]:
    result = invoke("run", "--dry-run", *args)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    return shlex.split(lines[0])


def test_run_dry_run_exact_argv(bundle, xdg_cache):
    b = bundle.absolute()
    argv = dry_run_argv(str(bundle), "--memory", "1G", "--cpus", "2", "--accel", "tcg", "--trace")
    assert argv == [
        QEMU,
        "-M", "microvm,x-option-roms=off,isa-serial=on,pit=on,pic=off,rtc=on,acpi=off",
        "-accel", "tcg,thread=multi", "-cpu", "max", "-m", "1G", "-smp", "2",
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-kernel", f"{b}/kernel.elf",
        "-chardev", "stdio,id=com1", "-serial", "chardev:com1",
        "-chardev", "file,id=com2,path=/dev/stderr,append=on",
        "-device", "isa-serial,chardev=com2,iobase=0x2f8,irq=3",
        "-chardev", "file,id=com3,path=/dev/stderr,append=on",
        "-device", "isa-serial,chardev=com3,iobase=0x3e8,irq=4",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
        "-global", "virtio-mmio.force-legacy=false",
        "-drive", f"file={b}/rootfs.img,format=raw,if=none,readonly=on,id=root",
        "-device", "virtio-blk-device,drive=root",
        "-netdev", "user,id=net0,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3",
        "-device", "virtio-net-device,netdev=net0",
        "-fw_cfg", f"name=opt/cvmify/config,file={b}/config.bin",
        "-fw_cfg", f"name=opt/cvmify/disk-key,file={b}/disk-key.dev",
        "-fw_cfg", "name=opt/cvmify/trace,string=1",
        "-chardev", "null,id=control",
        "-device", "isa-serial,chardev=control,iobase=0x2e0,irq=3,index=3",
    ]


def test_run_warns_about_the_development_key(bundle, xdg_cache):
    result = invoke("run", str(bundle), "--accel", "tcg", "--dry-run")
    assert "cvmify: warning: VM mode: the host hands the development disk key" in result.stderr
    assert result.stderr.count("\n") == 1


def test_run_defaults(bundle, xdg_cache):
    argv = dry_run_argv(str(bundle), "--accel", "tcg")
    assert argv[argv.index("-m") + 1] == "512M" and argv[argv.index("-smp") + 1] == "1"
    assert not any("opt/cvmify/trace" in a or "opt/cvmify/overrides" in a for a in argv)


def test_run_takes_memory_and_cpus_from_the_manifest(tmp_path, stub_kernel, xdg_cache):
    sized = make_bundle(tmp_path / "sized.bundle", stub_kernel, manifest_extra='[sys]\nmemory = "256M"\ncpus = 2\n')
    argv = dry_run_argv(str(sized), "--accel", "tcg")
    assert argv[argv.index("-m") + 1] == "256M" and argv[argv.index("-smp") + 1] == "2"
    argv = dry_run_argv(str(sized), "--accel", "tcg", "--memory", "1G")
    assert argv[argv.index("-m") + 1] == "1G"


def test_run_overrides_go_to_fw_cfg_when_allowed(bundle, xdg_cache):
    argv = dry_run_argv(str(bundle), "--accel", "tcg", "-e", "GREETING=hi there", "--", "one", "--two")
    item = next(a for a in argv if a.startswith("name=opt/cvmify/overrides,file="))
    path = Path(item.split("file=", 1)[1])
    try:
        overrides = parse_overrides(path.read_bytes())
        assert overrides.argv_tail == ["one", "--two"]
        assert overrides.env == ["GREETING=hi there"]
    finally:
        shutil.rmtree(path.parent)


@pytest.mark.parametrize(
    "args",
    [["-e", "PATH=/evil"], ["-e", "=x"], ["-e", "1BAD=x"], ["--memory", "lots"], ["--cpus", "0"],
     ["--accel", "hvf"], ["--mode", "sev"]],
)
def test_run_usage_errors(bundle, xdg_cache, args):
    result = invoke("run", str(bundle), "--accel", "tcg", *args, "--dry-run")
    if "--accel" in args:
        result = invoke("run", str(bundle), *args, "--dry-run")
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("cvmify: error: ")


def test_run_extra_args_refused_when_manifest_forbids(tmp_path, stub_kernel, xdg_cache):
    strict = make_bundle(tmp_path / "strict.bundle", stub_kernel)
    result = invoke("run", str(strict), "--accel", "tcg", "--dry-run", "--", "extra")
    assert result.exit_code == 2
    assert "refused" in result.stderr


def test_run_tdx_mode_needs_td_fd(bundle, xdg_cache):
    result = invoke("run", str(bundle), "--mode", "tdx", "--dry-run")
    assert result.exit_code == 10
    assert "no td.fd" in result.stderr


def test_run_bad_bundle(tmp_path, xdg_cache):
    result = invoke("run", str(tmp_path / "nothing"), "--accel", "tcg")
    assert result.exit_code == 10
    assert result.stderr == f"cvmify: error: {(tmp_path / 'nothing').absolute()}: not a bundle directory\n"


def test_run_missing_qemu_is_a_launch_error(bundle, xdg_cache):
    result = invoke("run", str(bundle), "--accel", "tcg", env={"CVMIFY_QEMU": "/no/such/qemu"})
    assert result.exit_code == 11
    assert "QEMU not found" in result.stderr


def test_run_ctrl_c_exits_130(bundle, xdg_cache):
    with mock.patch.object(cli, "launch", side_effect=KeyboardInterrupt):
        result = invoke("run", str(bundle), "--accel", "tcg")
    assert result.exit_code == 130
    assert result.stderr.endswith("cvmify: error: interrupted\n")


def test_run_passes_the_plan_and_exits_with_the_app_status(bundle, xdg_cache):
    with mock.patch.object(cli, "launch", return_value=RunResult(status=42)) as run:
        result = invoke("run", str(bundle), "--accel", "tcg", "--memory", "256M")
    assert result.exit_code == 42
    plan, options, qemu = run.call_args.args[:3]
    assert qemu == QEMU and plan.memory == "256M" and plan.accel.name == "tcg" and plan.mode == "vm"
    assert not options.detach and options.name is None


def test_run_real_qemu_streams_and_exits_with_app_status(bundle, xdg_cache):
    require_tools(QEMU)
    result = invoke("run", str(bundle), "--accel", "tcg", "--trace")
    assert result.exit_code == 3, result.stderr
    assert result.stdout == "hello from the stub\n"
    assert "stub stderr\n" in result.stderr
    assert "cvmify: trace: syscall 1 write 1" in result.stderr


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.startswith("cvmify ")


# -- the real pipeline: a real image, the real kernel ------------------------

KEY_HEX = "5a" * 32
EPOCH = "1700000000"


def real_build(image: str, kernel: Path, out: Path, key: Path, *extra: str):
    return invoke("build", f"docker-daemon:{image}", "-o", str(out), "--kernel", str(kernel), "--key", str(key),
                  *extra, env={"SOURCE_DATE_EPOCH": EPOCH})


@pytest.fixture
def any_kernel(stub_kernel: Path) -> Path:
    """Building only needs a PVH ELF to copy and measure; the stub keeps these
    tests independent of the kernel's state. Booting uses the real kernel."""
    return stub_kernel


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "dev.key"
    path.write_text(KEY_HEX + "\n")
    return path


@pytest.mark.docker
@pytest.mark.slow
def test_build_inspect_verify_and_measure_a_real_image(cprogs_image, any_kernel, key_file, tmp_path):
    import json
    import stat

    out = tmp_path / "hello.bundle"
    result = real_build(cprogs_image, any_kernel, out, key_file, "--json")
    assert result.exit_code == 0, result.stderr
    env = json.loads(result.stdout)
    assert env["ok"] is True and env["result"]["entrypoint"] == "/hello"
    assert "development key" in result.stderr
    assert (out / "disk-key.dev").read_bytes() == bytes.fromhex(KEY_HEX)
    assert stat.S_IMODE((out / "disk-key.dev").stat().st_mode) == 0o600
    assert json.loads((out / "bundle.json").read_text())["created"] == int(EPOCH)

    verified = invoke("inspect", str(out), "--verify")
    assert verified.exit_code == 0, verified.stderr
    assert "verify:     OK" in verified.stdout
    assert any(line.endswith(" /hello") for line in verified.stdout.splitlines())

    measured = invoke("measure", str(out), "--json")
    assert measured.exit_code == 0, measured.stderr
    recorded = json.loads((out / "measurements.json").read_text())
    assert json.loads(measured.stdout)["result"]["measurements"] == recorded
    assert json.loads(measured.stdout)["result"]["recorded_matches"] is True


@pytest.mark.docker
@pytest.mark.slow
def test_build_is_reproducible(cprogs_image, any_kernel, key_file, tmp_path):
    a, b = tmp_path / "a.bundle", tmp_path / "b.bundle"
    assert real_build(cprogs_image, any_kernel, a, key_file).exit_code == 0
    assert real_build(cprogs_image, any_kernel, b, key_file).exit_code == 0
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.docker
@pytest.mark.slow
def test_failed_build_leaves_nothing_behind(cprogs_image, any_kernel, key_file, tmp_path):
    out = tmp_path / "out" / "x.bundle"
    with mock.patch("cvmify.measure.measurements.compute_measurements", side_effect=IntegrityError("late failure")):
        result = real_build(cprogs_image, any_kernel, out, key_file)
    assert result.exit_code == 7
    assert list(out.parent.iterdir()) == []


@pytest.mark.docker
@pytest.mark.slow
def test_existing_output_is_refused_without_force(cprogs_image, any_kernel, key_file, tmp_path):
    out = tmp_path / "x.bundle"
    out.mkdir()
    (out / "keep").write_text("mine")
    result = real_build(cprogs_image, any_kernel, out, key_file)
    assert result.exit_code == 2 and "--force" in result.stderr
    assert (out / "keep").read_text() == "mine"


@pytest.mark.docker
@pytest.mark.slow
def test_verify_catches_tampering(cprogs_image, any_kernel, key_file, tmp_path):
    import json

    out = tmp_path / "t.bundle"
    assert real_build(cprogs_image, any_kernel, out, key_file).exit_code == 0
    disk = bytearray((out / "rootfs.img").read_bytes())
    disk[-100] ^= 0x01  # a ciphertext byte of the last block
    (out / "rootfs.img").write_bytes(bytes(disk))
    result = invoke("inspect", str(out), "--verify")
    assert result.exit_code == 7
    assert "rootfs.img" in result.stderr

    # Re-index the tampered disk so only the block tags can catch it.
    index = json.loads((out / "bundle.json").read_text())
    from cvmify.bundle import sha256_file
    index["files"]["rootfs.img"]["sha256"] = sha256_file(out / "rootfs.img")
    (out / "bundle.json").write_text(json.dumps(index))
    result = invoke("inspect", str(out), "--verify")
    assert result.exit_code == 7, result.stderr


@pytest.mark.docker
@pytest.mark.qemu
@pytest.mark.slow
def test_run_a_real_bundle(cprogs_image, cvmify_kernel, key_file, tmp_path, xdg_cache):
    out = tmp_path / "run.bundle"
    assert real_build(cprogs_image, cvmify_kernel, out, key_file).exit_code == 0
    result = invoke("run", str(out), "--accel", "tcg")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "hello from cvmify\n"


def test_the_entry_point_builds_only_the_invoked_command_and_help_lists_all():
    def main(*argv):
        return subprocess.run([sys.executable, "-m", "cvmify", *argv], capture_output=True, text=True,
                              timeout=60, cwd=Path(__file__).parent.parent)

    listed = main("--help").stdout
    assert all(f"  {name} " in listed for name in ("build", "run", "ps", "logs", "stop", "rm", "doctor", "kbs"))
    assert "--stop-timeout" in main("run", "--help").stdout
    assert "--follow" in main("-v", "logs", "--help").stdout
    assert "No such command 'nosuch'" in main("nosuch").stderr
