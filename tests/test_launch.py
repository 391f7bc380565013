"""The launcher: QEMU argv as data, control lines, exit statuses, the KVM
probe and its cache, and real QEMU runs of a tiny stub guest (TCG)."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cvmify.errors import GuestFailureError, LaunchError, UsageError
from cvmify.launch import accel, runner
from cvmify.launch import control as ctl
from cvmify.launch.control import ControlState, LineSplitter
from cvmify.launch.qemu import (
    KVM, TCG, Consoles, FwCfg, VmSpec, build_argv, check_cpus, parse_memory, shell_line, vm_argv,
)
from cvmify.launch.runner import QemuRun, app_status, run_qemu
from tests.fake_bundle import HANG, TRIPLE_FAULT, WRITE_PANIC_EXIT, build_stub_kernel, exit_frame

QEMU = "qemu-system-x86_64"
needs_qemu = pytest.mark.usefixtures("qemu_and_toolchain")
CONSOLES = Consoles(com2="/dev/fd/5", com3="/dev/fd/6", control="socket,fd=7")


# -- argv as data ----------------------------------------------------------


def test_vm_argv_is_exact():
    spec = VmSpec(
        kernel=Path("/b/kernel.elf"), memory="512M", cpus=2, accel=TCG, consoles=CONSOLES,
        fw_cfg=(FwCfg("opt/cvmify/config", file=Path("/b/config.bin")), FwCfg("opt/cvmify/trace", string="1")),
        disk=Path("/b/rootfs.img"),
    )
    assert vm_argv(QEMU, spec) == [
        QEMU,
        "-M", "microvm,x-option-roms=off,isa-serial=on,pit=on,pic=off,rtc=on,acpi=off",
        "-accel", "tcg,thread=multi", "-cpu", "max", "-m", "512M", "-smp", "2",
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-kernel", "/b/kernel.elf",
        "-chardev", "stdio,id=com1", "-serial", "chardev:com1",
        "-chardev", "file,id=com2,path=/dev/fd/5,append=on",
        "-device", "isa-serial,chardev=com2,iobase=0x2f8,irq=3",
        "-chardev", "file,id=com3,path=/dev/fd/6,append=on",
        "-device", "isa-serial,chardev=com3,iobase=0x3e8,irq=4",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
        "-global", "virtio-mmio.force-legacy=false",
        "-drive", "file=/b/rootfs.img,format=raw,if=none,readonly=on,id=root",
        "-device", "virtio-blk-device,drive=root",
        "-fw_cfg", "name=opt/cvmify/config,file=/b/config.bin",
        "-fw_cfg", "name=opt/cvmify/trace,string=1",
        "-chardev", "socket,fd=7,id=control",
        "-device", "isa-serial,chardev=control,iobase=0x2e0,irq=3,index=3",
    ]


def test_kvm_accel_uses_host_cpu_without_arch_capabilities():
    argv = vm_argv(QEMU, VmSpec(Path("/k"), "64M", 1, KVM, CONSOLES))
    assert argv[argv.index("-accel") + 1] == "kvm"
    assert argv[argv.index("-cpu") + 1] == "host,-arch-capabilities"
    assert "-drive" not in argv  # no disk given, none attached


def test_commas_in_paths_are_escaped_for_qemu():
    spec = VmSpec(Path("/a,b/k"), "64M", 1, TCG, CONSOLES, (FwCfg("opt/x", file=Path("/a,b/c")),), Path("/a,b/d"))
    argv = vm_argv(QEMU, spec)
    assert "file=/a,,b/d,format=raw,if=none,readonly=on,id=root" in argv
    assert "name=opt/x,file=/a,,b/c" in argv
    assert argv[argv.index("-kernel") + 1] == "/a,b/k"  # -kernel is not comma-parsed


def test_shell_line_round_trips():
    import shlex

    argv = [QEMU, "-kernel", "/path with space/k", "-fw_cfg", "name=x,string=it's"]
    assert shlex.split(shell_line(argv)) == argv


@pytest.mark.parametrize("text,expected", [("512M", "512M"), ("2g", "2G"), ("1024", "1024M"), ("65536K", "65536K")])
def test_parse_memory_accepts_sizes(text, expected):
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text", ["", "0", "-1M", "12X", "1.5G", "16M", "lots"])
def test_parse_memory_rejects_bad_sizes(text):
    with pytest.raises(UsageError):
        parse_memory(text)


def test_cpu_count_is_checked():
    assert check_cpus(4) == 4
    for bad in (0, -1, 1000):
        with pytest.raises(UsageError):
            check_cpus(bad)


def test_unknown_mode_is_a_usage_error():
    spec = VmSpec(Path("/k"), "64M", 1, KVM, CONSOLES)
    with pytest.raises(UsageError):
        build_argv("sev", QEMU, spec)


# -- the control channel and statuses ----------------------------------------


def u32(kind: int, value: int) -> bytes:
    return ctl.encode(kind, value.to_bytes(4, "little"))


def feed(*chunks: bytes) -> ControlState:
    state = ControlState()
    for chunk in chunks:
        state.feed(chunk)
    return state


def test_control_messages_are_parsed():
    stream = (ctl.encode(ctl.HELLO) + ctl.encode(ctl.TRACE, b"1 write 3") + u32(ctl.EXIT, 42)
              + ctl.encode(ctl.PROBE_OK))
    state = feed(stream)
    assert state.hello and state.exit_status == 42 and state.probe_ok and state.syscalls == ["1 write 3"]
    assert feed(u32(ctl.KILLED, 9)).signal == 9
    assert feed(ctl.encode(ctl.PANIC, b"page fault at 0x0")).panic == "page fault at 0x0"
    # byte by byte is the same
    assert feed(*[bytes([b]) for b in stream]).exit_status == 42


def test_log_lines_are_never_control_messages():
    state = ControlState()
    for line in ("cvmify: exit 0", "cvmify: panic x", "cvmify: probe ok"):
        state.log_line(line)
    assert (state.exit_status, state.panic, state.probe_ok) == (None, None, False)
    assert list(state.tail) == ["cvmify: exit 0", "cvmify: panic x", "cvmify: probe ok"]


@pytest.mark.parametrize("frame", [
    u32(ctl.EXIT, 256), u32(ctl.KILLED, 65), ctl.encode(ctl.EXIT, b"\0\0\0"),
    ctl.encode(ctl.SIGNAL, b"\1\0\0\0"),  # a host request coming back
    b"\xc8" + u32(ctl.EXIT, 0)[1:],  # bad magic
    b"\xc7\x02" + u32(ctl.EXIT, 0)[2:],  # bad version
])
def test_malformed_messages_break_the_channel(frame):
    state = feed(frame, u32(ctl.EXIT, 0))
    assert state.broken is not None and state.exit_status is None


def test_requests_for_the_guest():
    assert ctl.signal_request(15) == bytes.fromhex("c7018100 0400 0f000000")
    assert ctl.winsize_request(50, 160) == bytes.fromhex("c7018200 0400 3200a000")
    assert ctl.stdin_eof_request(513) == bytes.fromhex("c7018300 0800 0102000000000000")


def test_line_splitter_joins_chunks_and_flushes_the_rest():
    s = LineSplitter()
    assert s.feed(b"cvmify: ex") == []
    assert s.feed(b"it 3\npart") == ["cvmify: exit 3"]
    assert s.close() == ["part"]


def qrun(rc: int, *frames: bytes, log: tuple[str, ...] = (), stderr: tuple[str, ...] = (),
         timed_out: bool = False, stopped: int | None = None) -> QemuRun:
    state = feed(*frames)
    for line in log:
        state.log_line(line)
    return QemuRun(rc, state, list(stderr), timed_out, stopped)


def test_app_status_maps_exit_and_signal():
    assert app_status(qrun(33, u32(ctl.EXIT, 0))) == 0
    assert app_status(qrun(33, u32(ctl.EXIT, 3))) == 3
    assert app_status(qrun(33, u32(ctl.KILLED, 11))) == 128 + 11
    assert app_status(qrun(-15, stopped=137)) == 137  # the stop timeout ran out


@pytest.mark.parametrize(
    "run,error",
    [
        (qrun(65, ctl.encode(ctl.PANIC, b"bad config")), GuestFailureError),
        (qrun(65), GuestFailureError),
        (qrun(0, log=("booting",)), GuestFailureError),  # triple fault with -no-reboot
        (qrun(1, u32(ctl.EXIT, 0)), GuestFailureError),  # a status but the wrong QEMU exit
        (qrun(33), GuestFailureError),  # debug-exit without a status
        (qrun(33, log=("cvmify: exit 0",)), GuestFailureError),  # a status in the log counts for nothing
        (qrun(1, stderr=("qemu: -chardev: bad",)), LaunchError),
        (qrun(-15, log=("booting",), timed_out=True), GuestFailureError),
    ],
)
def test_app_status_failures(run, error):
    with pytest.raises(error):
        app_status(run)


def test_panic_message_is_in_the_error():
    with pytest.raises(GuestFailureError, match="bad config"):
        app_status(qrun(65, ctl.encode(ctl.PANIC, b"bad config")))


# -- accelerator choice ----------------------------------------------------


class Prober:
    def __init__(self, verdict: bool):
        self.verdict = verdict
        self.calls: list[tuple[str, Path]] = []

    def __call__(self, qemu: str, kernel: Path) -> bool:
        self.calls.append((qemu, kernel))
        return self.verdict


@pytest.fixture
def kernel_file(tmp_path: Path) -> Path:
    path = tmp_path / "kernel.elf"
    path.write_bytes(b"kernel one")
    return path


@pytest.fixture
def kvm_present(monkeypatch, tmp_path: Path) -> None:
    """Pretend /dev/kvm is accessible (a plain file we can open)."""
    device = tmp_path / "kvm"
    device.write_bytes(b"")
    monkeypatch.setattr(accel, "KVM_DEVICE", device)
    monkeypatch.setattr(accel, "qemu_identity", lambda qemu: "/usr/bin/qemu:123:456")


def test_explicit_accel_is_taken_without_probing(kernel_file, tmp_path):
    prober = Prober(True)
    assert accel.choose_accel("tcg", QEMU, kernel_file, tmp_path, prober) == TCG
    assert accel.choose_accel("kvm", QEMU, kernel_file, tmp_path, prober) == KVM
    assert prober.calls == []
    with pytest.raises(UsageError):
        accel.choose_accel("hvf", QEMU, kernel_file, tmp_path, prober)


def test_auto_without_kvm_device_is_tcg(monkeypatch, kernel_file, tmp_path):
    monkeypatch.setattr(accel, "KVM_DEVICE", tmp_path / "no-such-kvm")
    prober = Prober(True)
    assert accel.choose_accel("auto", QEMU, kernel_file, tmp_path, prober) == TCG
    assert prober.calls == []


def test_auto_uses_kvm_only_if_the_probe_passes(kvm_present, kernel_file, tmp_path):
    assert accel.choose_accel("auto", QEMU, kernel_file, tmp_path / "c1", Prober(False)) == TCG
    assert accel.choose_accel("auto", QEMU, kernel_file, tmp_path / "c2", Prober(True)) == KVM


def test_probe_verdict_is_cached_per_kernel(kvm_present, kernel_file, tmp_path):
    cache = tmp_path / "cache"
    prober = Prober(False)
    assert accel.choose_accel("auto", QEMU, kernel_file, cache, prober) == TCG
    assert accel.choose_accel("auto", QEMU, kernel_file, cache, Prober(True)) == TCG  # cached "no"
    assert len(prober.calls) == 1
    kernel_file.write_bytes(b"kernel two")  # a different kernel is probed again
    assert accel.choose_accel("auto", QEMU, kernel_file, cache, Prober(True)) == KVM
    assert (cache / accel.CACHE_FILE).is_file()


def test_corrupt_cache_is_ignored(kvm_present, kernel_file, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / accel.CACHE_FILE).write_text("{not json")
    prober = Prober(True)
    assert accel.choose_accel("auto", QEMU, kernel_file, cache, prober) == KVM
    assert len(prober.calls) == 1


# -- real QEMU runs of the stub guest (TCG) ---------------------------------


def run_stub(tmp_path: Path, stdin: bytes | None = None, **stub) -> tuple[QemuRun, bytes, bytes]:
    kernel = build_stub_kernel(tmp_path / "stub", **stub)
    out, err = io.BytesIO(), io.BytesIO()
    run = run_qemu(lambda c: vm_argv(QEMU, VmSpec(kernel, "64M", 1, TCG, c)),
                   io.BytesIO(stdin) if stdin is not None else None, out, err, timeout=120)
    return run, out.getvalue(), err.getvalue()


@needs_qemu
def test_consoles_are_streamed_separately_and_exit_status_returned(tmp_path):
    run, out, err = run_stub(tmp_path, com1="to stdout\n", com2="to stderr\n",
                             com3="kernel says hi\n", control=exit_frame(7))
    assert out == b"to stdout\n"
    assert err == b"to stderr\n"
    assert list(run.control.tail) == ["kernel says hi"]
    assert app_status(run) == 7


@needs_qemu
def test_forged_status_lines_on_every_console_count_for_nothing(tmp_path):
    """What the app prints (COM1, COM2) and what the kernel logs (COM3)
    never passes for a control message (issue 11, item 6)."""
    forged = "cvmify: exit 0\n\xc7\x01\x05\x01\x01\x01"  # and bytes like a frame header
    run, out, _ = run_stub(tmp_path, com1=forged, com2=forged, com3=forged, control=exit_frame(3))
    assert out.startswith(b"cvmify: exit 0\n")
    assert app_status(run) == 3
    run, _, _ = run_stub(tmp_path / "none", com1=forged, com2=forged, com3=forged)
    with pytest.raises(GuestFailureError, match="before the app reported"):
        app_status(run)


@needs_qemu
def test_stdin_reaches_com1(tmp_path):
    run, out, _ = run_stub(tmp_path, stdin=b"ping\n", echo=True, control=exit_frame(0))
    assert out == b"ping\n"
    assert app_status(run) == 0


@needs_qemu
def test_signal_exit_is_128_plus_n(tmp_path):
    run, _, _ = run_stub(tmp_path, control=u32(ctl.KILLED, 9))
    assert app_status(run) == 137


@needs_qemu
def test_panic_is_a_guest_failure(tmp_path):
    run, _, _ = run_stub(tmp_path, control=ctl.encode(ctl.PANIC, b"no root disk"), exit_value=WRITE_PANIC_EXIT)
    assert run.returncode == 65
    with pytest.raises(GuestFailureError, match="no root disk"):
        app_status(run)


@needs_qemu
def test_triple_fault_is_a_guest_failure(tmp_path):
    run, _, _ = run_stub(tmp_path, com3="about to crash\n", exit_value=TRIPLE_FAULT)
    with pytest.raises(GuestFailureError, match="before the app reported"):
        app_status(run)


@needs_qemu
def test_probe_plumbing_with_tcg(tmp_path):
    ok = build_stub_kernel(tmp_path / "ok", com3="cvmify: probe ok\n", control=ctl.encode(ctl.PROBE_OK))
    bad = build_stub_kernel(tmp_path / "bad", com3="cvmify: probe ok\n",
                            control=ctl.encode(ctl.PANIC, b"no probe support"), exit_value=WRITE_PANIC_EXIT)
    assert accel.probe_kvm(QEMU, ok, accel=TCG) is True
    assert accel.probe_kvm(QEMU, bad, accel=TCG) is False


def test_missing_qemu_is_a_launch_error(tmp_path):
    with pytest.raises(LaunchError, match="not found"):
        run_qemu(lambda c: ["/nonexistent/qemu-system-x86_64"], None, io.BytesIO(), io.BytesIO())


@needs_qemu
def test_bad_qemu_option_is_a_launch_error(tmp_path):
    run = run_qemu(lambda c: [QEMU, "-no-such-option"], None, io.BytesIO(), io.BytesIO())
    with pytest.raises(LaunchError, match="no-such-option"):
        app_status(run)


@needs_qemu
def test_interrupt_stops_qemu(tmp_path, monkeypatch):
    """Ctrl-C while the guest runs: QEMU is stopped and reaped, the interrupt propagates."""
    kernel = build_stub_kernel(tmp_path / "stub", com1="running\n", exit_value=HANG)
    spawned = []
    real_spawn = runner.spawn
    monkeypatch.setattr(runner, "spawn", lambda argv, pass_fds, attach_stdin=True:
                        spawned.append(real_spawn(argv, pass_fds, attach_stdin)) or spawned[-1])

    class InterruptingSink(io.BytesIO):
        def write(self, data):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_qemu(lambda c: vm_argv(QEMU, VmSpec(kernel, "64M", 1, TCG, c)), None, InterruptingSink(), io.BytesIO())
    assert spawned[0].returncode is not None  # reaped, not left running


def _process_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@needs_qemu
def test_qemu_dies_with_its_parent(tmp_path):
    """PR_SET_PDEATHSIG: kill -9 the launcher, QEMU must not survive it."""
    kernel = build_stub_kernel(tmp_path / "stub", com1="up\n", exit_value=HANG)
    script = textwrap.dedent(f"""
        import io, sys
        from pathlib import Path
        from cvmify.launch import runner
        from cvmify.launch.qemu import TCG, VmSpec, vm_argv
        real = runner.spawn
        def spawn(argv, pass_fds, attach_stdin=True):
            p = real(argv, pass_fds, attach_stdin)
            print(p.pid, flush=True)
            return p
        runner.spawn = spawn
        runner.run_qemu(lambda c: vm_argv({QEMU!r}, VmSpec(Path({str(kernel)!r}), "64M", 1, TCG, c)),
                        None, io.BytesIO(), io.BytesIO())
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=Path(__file__).parent.parent)
    qemu_pid = int(parent.stdout.readline())
    assert not _process_gone(qemu_pid)
    parent.kill()
    parent.wait()
    for _ in range(600):  # wait for the kernel to deliver the death signal
        if _process_gone(qemu_pid):
            break
        time.sleep(0.05)
    assert _process_gone(qemu_pid)


def test_probe_cache_key_names_the_qemu_binary_without_starting_it(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "qemu-fake"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho started >> " + str(tmp_path / "log") + "\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    first = accel.qemu_identity("qemu-fake")
    assert first.startswith(str(fake)) and not (tmp_path / "log").exists()
    fake.write_text("#!/bin/sh\n# upgraded\n")
    assert accel.qemu_identity("qemu-fake") != first  # another size: another key
