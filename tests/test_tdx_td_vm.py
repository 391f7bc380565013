"""td.fd booted as a plain q35 VM (`cvmify run --mode td-vm`): the same
artifact a TD boots, through the reset vector in 16-bit real mode, the
stub's copy from the flash mapping, the kernel's e820 memory map, the
measured config from the CFV section, and virtio-blk over virtio-pci.
The programs are those the microvm path runs (test_kernel_programs.py).
"""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from tests.guest import GUEST_PROGRAMS, build_bundle, cvmify, program, shell
from tests.test_kernel_programs import PYTHON_SCRIPT


def run_td_vm(bundle, *args: str):
    return cvmify("run", str(bundle), "--mode", "td-vm", "--accel", "tcg", *args)


def build_and_run_td(image, kernel, tmp_path, manifest, *args: str):
    return run_td_vm(build_bundle(image, kernel, tmp_path, manifest), *args)


def test_busybox_shell_and_exit_status(busybox_image, kernel, tmp_path):
    script = ('echo "hello from sh"; x=$((6 * 7)); echo "x=$x"; '
              'echo one two three | wc -w; echo to-stderr >&2; exit 42')
    run = build_and_run_td(busybox_image, kernel, tmp_path, shell(script))
    assert run.returncode == 42, run.stderr
    assert "hello from sh" in run.stdout and "x=42" in run.stdout and "3" in run.stdout
    assert "to-stderr" in run.stderr and "to-stderr" not in run.stdout


@pytest.mark.parametrize("name", ["/hello", "/hello-pie"])
def test_static_and_static_pie_hello(cprogs_image, kernel, tmp_path, name):
    run = build_and_run_td(cprogs_image, kernel, tmp_path, program(name))
    assert run.returncode == 0, run.stderr
    assert "hello from cvmify" in run.stdout


def test_null_dereference_dies_with_sigsegv(cprogs_image, kernel, tmp_path):
    run = build_and_run_td(cprogs_image, kernel, tmp_path, program("/segv"))
    assert run.returncode == 128 + 11, run.stderr


@pytest.mark.parametrize("name", GUEST_PROGRAMS)
def test_guest_program(guest_image, kernel, tmp_path, name):
    run = build_and_run_td(guest_image, kernel, tmp_path, program(f"/{name}"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "FAIL" not in run.stdout


def test_python3_dynamic(python3_image, kernel, tmp_path):
    manifest = {"loader": {"argv": ["/usr/bin/python3", "-c", PYTHON_SCRIPT]}}
    run = build_and_run_td(python3_image, kernel, tmp_path, manifest)
    assert run.returncode == 7, run.stderr
    assert "json: [1, 2, 3]" in run.stdout and "sqlite: 42" in run.stdout


def test_kernel_log_shows_the_td_fd_boot(busybox_image, kernel, tmp_path):
    """QEMU started by hand (not by cvmify): the kernel says how it came in
    and measures the config it read from td.fd's CFV section."""
    bundle = build_bundle(busybox_image, kernel, tmp_path, program("/bin/true"))
    com3 = tmp_path / "com3.log"
    argv = ["qemu-system-x86_64", "-M", "q35", "-accel", "tcg", "-cpu", "max", "-m", "256M",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-bios", str(bundle / "td.fd"),
            "-chardev", f"file,id=c3,path={com3}", "-device", "isa-serial,chardev=c3,iobase=0x3e8",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
            "-drive", f"file={bundle / 'rootfs.img'},format=raw,if=none,readonly=on,id=root",
            "-device", "virtio-blk-pci,drive=root,disable-legacy=on",
            "-fw_cfg", f"name=opt/cvmify/disk-key,file={bundle / 'disk-key.dev'}"]
    result = subprocess.run(argv, capture_output=True, timeout=300)
    log = com3.read_text(errors="replace")
    assert result.returncode == 33, log  # isa-debug-exit 0x10: the app exited
    assert "td: booted from td.fd as a plain VM" in log
    config_hex = hashlib.sha384((bundle / "config.bin").read_bytes()).hexdigest()
    assert f"measure: config {config_hex}" in log
    assert "cvmify: exit 0" in log
