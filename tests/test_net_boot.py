"""The network stack comes up: a real boot with a virtio-net device on
QEMU user networking, and a host client reaching the guest's TCP/IP
stack through a hostfwd port."""

from __future__ import annotations

import ipaddress
import socket
import time

import pytest

from tests.guest import build_bundle, program, shell
from tests.netguest import (booted_with_net, frame_dump, free_port, neighbour_solicitations,
                            wait_for_log)

pytestmark = pytest.mark.usefixtures("qemu_and_toolchain")


def test_closed_port_is_refused_by_the_guest_stack(busybox_image, kernel, tmp_path):
    """Nothing listens on guest port 80: the guest's stack answers the
    SYN with a reset, so slirp drops the host connection at once. Without
    a working device and stack the connection would just hang."""
    bundle = build_bundle(busybox_image, kernel, tmp_path, shell("sleep 60"))
    port = free_port()
    with booted_with_net(bundle, tmp_path, [f"tcp:127.0.0.1:{port}-:80"]):
        log = wait_for_log(tmp_path, "exec /bin/busybox")
        assert "virtio-net: virtio-mmio@" in log
        assert "net: 10.0.2.15/24 gateway 10.0.2.2" in log
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.settimeout(30)
            try:
                data = conn.recv(16)
            except ConnectionResetError:
                data = b""
        assert data == b""


def test_no_device_means_loopback_only(busybox_image, kernel, tmp_path):
    from tests.guest import boot_bundle
    bundle = build_bundle(busybox_image, kernel, tmp_path, shell("true"))
    boot = boot_bundle(bundle, tmp_path)
    assert "net: no usable virtio-net device" in boot.log
    assert boot.control_lines()[-1] == "cvmify: exit 0"


def test_etc_files_and_hostname_from_the_measured_config(busybox_image, kernel, tmp_path):
    from tests.guest import boot_bundle
    manifest = shell("cat /etc/resolv.conf /etc/hosts /etc/hostname; uname -n")
    manifest["net"] = {"ipv4": "192.168.77.9/24", "gateway4": "192.168.77.1",
                       "dns": ["9.9.9.9", "2001:db8::53"], "hostname": "web-1"}
    bundle = build_bundle(busybox_image, kernel, tmp_path, manifest)
    boot = boot_bundle(bundle, tmp_path)
    assert boot.control_lines()[-1] == "cvmify: exit 0", boot.log
    lines = boot.stdout.splitlines()
    assert lines[:2] == ["nameserver 9.9.9.9", "nameserver 2001:db8::53"]
    assert "127.0.0.1\tlocalhost" in lines
    assert "192.168.77.9\tweb-1" in lines
    assert "fec0::15\tweb-1" in lines
    assert lines[-2:] == ["web-1", "web-1"]


def test_default_hostname_and_no_etc_files(busybox_image, kernel, tmp_path):
    from tests.guest import boot_bundle
    manifest = shell("uname -n; cat /etc/resolv.conf || echo no-resolv")
    manifest["net"] = {"etc_files": False}
    bundle = build_bundle(busybox_image, kernel, tmp_path, manifest)
    boot = boot_bundle(bundle, tmp_path)
    lines = boot.stdout.splitlines()
    assert lines[0].startswith("cvmify-") and len(lines[0]) == len("cvmify-") + 12
    assert lines[-1] == "no-resolv"


def test_ipv6_gateway_from_the_config(python3_image, kernel, tmp_path):
    """Off-link IPv6 goes to the configured gateway, even though QEMU's
    router advertisement names another router (fe80::2): the guest asks
    the link for the configured one (a gateway nobody has, here)."""
    script = ("import socket, time\n"
              "s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
              "for _ in range(60):\n"
              "    s.sendto(b'x', ('2001:db8::1', 9))\n"
              "    time.sleep(0.5)\n")
    manifest = program("/usr/bin/python3", "-c", script)
    manifest["net"] = {"gateway6": "fec0::99"}
    bundle = build_bundle(python3_image, kernel, tmp_path, manifest)
    pcap = tmp_path / "net.pcap"
    wanted = ipaddress.IPv6Address("fec0::99")
    with booted_with_net(bundle, tmp_path, [], extra=frame_dump(pcap)):
        wait_for_log(tmp_path, "exec /usr/bin/python3")
        deadline = time.monotonic() + 60
        while wanted not in neighbour_solicitations(pcap):
            assert time.monotonic() < deadline, neighbour_solicitations(pcap)
            time.sleep(0.5)
