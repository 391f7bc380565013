"""The network of td.fd booted as a plain q35 VM (`cvmify run --mode
td-vm`, and `--mode tdx-sim` with its key broker): the TDX kernel build's
virtio-net over virtio-pci, its rings and buffers in what a TD shares with
the host, its interrupts as MSI-X messages. Real servers from the
netservers image reached from the host through `-p`, a UDP echo, and egress
to a server on the host, as tests/test_net_servers.py does on the microvm
path; each server is stopped with SIGTERM to `cvmify run`.
"""

from __future__ import annotations

import shlex
import socket
import subprocess

import pytest

from tests.conftest import require_tools
from tests.guest import build_bundle, cvmify, program
from tests.netguest import free_port
from tests.netrun import kernel_has_threads, running, tcp_answers
from tests.test_net_servers import (HTTP_SERVER, REDIS_ARGV, UDP_ECHO, assert_stopped, check_egress,
                                    check_http_server, egress_script, host_listener, python, redis_cli,
                                    udp_exchange)
from tests.test_tdx_sim import Broker, xdg_cache  # noqa: F401 (a fixture)
from tests.test_tdx_td_vm import run_td_vm

pytestmark = pytest.mark.usefixtures("qemu_and_toolchain")

TD_VM = ("--mode", "td-vm")


def test_python_http_server_through_p(netservers_image, kernel, tmp_path):
    require_tools("curl")
    check_http_server(build_bundle(netservers_image, kernel, tmp_path, python(HTTP_SERVER)), *TD_VM)


def test_redis_answers_redis_cli(netservers_image, kernel, tmp_path):
    require_tools("redis-cli")
    if not kernel_has_threads(kernel):
        pytest.skip("redis-server needs threads")
    bundle = build_bundle(netservers_image, kernel, tmp_path, program(*REDIS_ARGV))
    port = free_port()
    with running(bundle, *TD_VM, "-p", f"{port}:6379",
                 ready=tcp_answers(port, b"PING\r\n")) as proc:
        assert redis_cli(port, "SET", "greeting", "hello from the host") == "OK"
        assert redis_cli(port, "GET", "greeting") == "hello from the host"
        assert redis_cli(port, "INCRBY", "counter", "41") == "41"
        assert redis_cli(port, "INCR", "counter") == "42"
    assert_stopped(proc, port)


def test_udp_echo_answers_the_host(netservers_image, kernel, tmp_path):
    bundle = build_bundle(netservers_image, kernel, tmp_path, python(UDP_ECHO))
    port = free_port(socket.SOCK_DGRAM)
    with running(bundle, *TD_VM, "-p", f"{port}:5353/udp",
                 ready=lambda: udp_exchange(port, b"ready?") == b"?ydaer") as proc:
        for size in (1, 1400, 3000):  # 3000: fragmented both ways
            payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
            assert udp_exchange(port, payload) == payload[::-1]
    assert_stopped(proc, port, socket.SOCK_DGRAM)


def test_egress_to_a_server_on_the_host(netservers_image, kernel, tmp_path):
    check_egress(lambda script: run_td_vm(build_bundle(netservers_image, kernel, tmp_path,
                                                       python(script))))


MSIX = "net: interrupts by MSI-X, vector"
POLLED = "net: no interrupt for the device (error -19): polled every millisecond"


@pytest.mark.parametrize("device_options, expected", [
    ("", MSIX),
    (",iommu_platform=on", MSIX),  # as `--mode tdx` adds it: ACCESS_PLATFORM
    (",vectors=0", POLLED),        # no MSI-X capability
])
def test_interrupts_by_msix_else_polled(netservers_image, kernel, tmp_path, device_options, expected):
    """`cvmify run --dry-run`'s own QEMU command line, started here with
    the kernel log (COM3) in a file and the device's options changed. With
    MSI-X (QEMU's default) the device's interrupts arrive on the vector the
    kernel chose and no other; a device without MSI-X is polled. Egress
    works every way."""
    listener, thread, got = host_listener()
    bundle = build_bundle(netservers_image, kernel, tmp_path,
                          python(egress_script(listener.getsockname()[1])))
    dry = cvmify("run", str(bundle), "--mode", "td-vm", "--accel", "tcg", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    argv = shlex.split(dry.stdout.strip().splitlines()[-1])
    com3 = tmp_path / "com3.log"
    argv[argv.index("file,id=com3,path=/dev/stderr,append=on")] = f"file,id=com3,path={com3}"
    argv[argv.index("file,id=com2,path=/dev/stderr,append=on")] = f"file,id=com2,path={tmp_path / 'com2.log'}"
    device = next(i for i, arg in enumerate(argv) if arg.startswith("virtio-net-pci,"))
    argv[device] += device_options
    result = subprocess.run(argv, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    thread.join(timeout=60)
    listener.close()
    log = com3.read_text(errors="replace")
    assert result.returncode == 33, log  # isa-debug-exit 0x10: the app exited
    assert got == [b"ping from the guest"], log
    assert b"pong from the host" in result.stdout
    assert "virtio-net: virtio-pci@" in log
    assert expected in log
    assert "irq: unexpected vector" not in log


def test_tdx_sim_serves_the_host(netservers_image, kernel, tmp_path, xdg_cache):
    """`--mode tdx-sim`: the disk key comes from the broker after a
    simulated attestation, then the same server is reached through -p."""
    require_tools("curl")
    bundle = build_bundle(netservers_image, kernel, tmp_path, python(HTTP_SERVER))
    broker = Broker(tmp_path, "--bundle", str(bundle), "--allow-simulated")
    try:
        check_http_server(bundle, "--mode", "tdx-sim", "--kbs", broker.url)
        assert "attested (simulated" in broker.log()
    finally:
        broker.stop()
