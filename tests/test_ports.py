"""`cvmify run -p/-P/--network` (cvmify/launch/ports.py): parsing docker's
syntax, the checks made before QEMU starts (taken, privileged and
duplicate host ports: exit 13), the slirp network around the bundle's
measured address, and the exact QEMU arguments."""

from __future__ import annotations

import ipaddress
import shlex
import socket

import pytest

from cvmify.errors import PortUnavailableError, UsageError
from cvmify.launch import ports
from cvmify.launch.ports import NetSpec, PortMapping, net_spec, parse_publish
from cvmify.manifest import netconfig
from tests.test_cli import bundle, invoke, stub_kernel, xdg_cache  # noqa: F401 (fixtures)

ROOT = 0


@pytest.mark.parametrize("spec, want", [
    ("8080:80", PortMapping("127.0.0.1", 8080, 80, "tcp")),
    ("8080:80/udp", PortMapping("127.0.0.1", 8080, 80, "udp")),
    ("0.0.0.0:8080:80/tcp", PortMapping("0.0.0.0", 8080, 80, "tcp")),
    ("127.0.0.2::53/udp", PortMapping("127.0.0.2", 0, 53, "udp")),
    ("80", PortMapping("127.0.0.1", 0, 80, "tcp")),
])
def test_parse_publish(spec, want):
    assert parse_publish(spec) == want


@pytest.mark.parametrize("spec, message", [
    ("", "not a port"),
    ("http", "not a port"),
    ("a:b:c:80", "expected"),
    ("8080:80/sctp", "not tcp or udp"),
    ("8080:0", "not a port"),
    ("70000:80", "not a port"),
    ("999.1.1.1:8080:80", "not an IPv4 address"),
    ("[::1]:8080:80", "expected"),
    ("8000-8010:80-90", "ranges are not supported"),
])
def test_malformed_publish_is_exit_13(spec, message):
    with pytest.raises(PortUnavailableError, match=message) as exc:
        parse_publish(spec)
    assert exc.value.exit_code == 13


def test_a_taken_port_is_refused_before_qemu():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortUnavailableError, match=f"127.0.0.1:{port} is not available"):
            ports.resolve_ports([parse_publish(f"{port}:80")], ROOT)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(PortUnavailableError):
            ports.resolve_ports([parse_publish(f"{port}:53/udp")], ROOT)
        # The same number over TCP is another port.
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                pytest.skip("the TCP port of that number is taken too")
        assert ports.resolve_ports([parse_publish(f"{port}:53")], ROOT)[0].host_port == port


def test_privileged_port_without_root(monkeypatch):
    monkeypatch.setattr(ports, "unprivileged_port_start", lambda: 1024)
    with pytest.raises(PortUnavailableError, match="privileged"):
        ports.resolve_ports([parse_publish("80:80")], 1000)


def test_duplicates_are_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PortUnavailableError, match="published twice"):
        ports.resolve_ports([parse_publish(f"{port}:80"), parse_publish(f"{port}:81")], ROOT)


def test_free_ports_are_chosen():
    got = ports.resolve_ports([parse_publish("80"), parse_publish("53/udp")], ROOT)
    assert all(m.host_port > 0 for m in got)
    assert [m.guest_port for m in got] == [80, 53]


def test_publish_all_uses_exposed_ports():
    spec = net_spec("user", [], True, ["80/tcp", "53/udp", "8443"], None, ROOT)
    assert [(m.guest_port, m.proto, m.host_ip) for m in spec.ports] == [
        (80, "tcp", "127.0.0.1"), (53, "udp", "127.0.0.1"), (8443, "tcp", "127.0.0.1")]
    assert all(line.startswith("published 127.0.0.1:") for line in ports.mapping_lines(spec))
    with pytest.raises(PortUnavailableError, match="exposes 'http'"):
        net_spec("user", [], True, ["http"], None, ROOT)


def test_network_none_and_unknown():
    assert net_spec("none", [], False, [], None, ROOT) is None
    with pytest.raises(UsageError, match="--network none"):
        net_spec("none", ["8080:80"], False, [], None, ROOT)
    with pytest.raises(UsageError, match="expected user or none"):
        net_spec("host", [], False, [], None, ROOT)


def test_slirp_follows_the_measured_address():
    cfg = netconfig.from_manifest({"ipv4": "192.168.77.9/24", "gateway4": "192.168.77.1",
                                   "dns": ["9.9.9.9", "192.168.77.53"]})
    spec = net_spec("user", [], False, [], cfg, ROOT)
    assert (spec.guest_ip, spec.network, spec.gateway, spec.dns) == (
        "192.168.77.9", "192.168.77.0/24", "192.168.77.1", "192.168.77.53")
    # A gateway or DNS server outside the network: slirp's own .2 and .3.
    cfg = netconfig.from_manifest({"ipv4": "172.16.5.5/16", "gateway4": "10.0.0.1", "dns": ["1.1.1.1"]})
    spec = net_spec("user", [], False, [], cfg, ROOT)
    assert (spec.gateway, spec.dns) == ("172.16.0.2", "172.16.0.3")
    cfg = netconfig.from_manifest({"ipv4": "none"})
    with pytest.raises(UsageError, match="no IPv4 address"):
        net_spec("user", ["8080:80"], False, [], cfg, ROOT)


def test_netdev_argument():
    spec = NetSpec(ports=(PortMapping("127.0.0.1", 8080, 80, "tcp"), PortMapping("0.0.0.0", 5353, 53, "udp")))
    assert spec.netdev_arg("net0") == (
        "user,id=net0,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,"
        "hostfwd=tcp:127.0.0.1:8080-10.0.2.15:80,hostfwd=udp:0.0.0.0:5353-10.0.2.15:53")


# -- through the CLI ------------------------------------------------------------------


def test_cli_dry_run_publishes_and_prints(bundle, xdg_cache):  # noqa: F811
    result = invoke("run", "--dry-run", str(bundle), "--accel", "tcg", "-p", "18080:80", "-p", "53/udp")
    assert result.exit_code == 0, result.stderr
    argv = shlex.split(result.stdout.strip())
    netdev = argv[argv.index("-netdev") + 1]
    assert "hostfwd=tcp:127.0.0.1:18080-10.0.2.15:80" in netdev
    assert "hostfwd=udp:127.0.0.1:" in netdev
    assert "cvmify: published 127.0.0.1:18080 -> 80/tcp" in result.stderr
    assert argv[argv.index("-netdev") + 2:argv.index("-netdev") + 4] == [
        "-device", "virtio-net-device,netdev=net0"]


def test_cli_network_none_has_no_device(bundle, xdg_cache):  # noqa: F811
    result = invoke("run", "--dry-run", str(bundle), "--accel", "tcg", "--network", "none")
    assert result.exit_code == 0, result.stderr
    assert "-netdev" not in result.stdout and "virtio-net" not in result.stdout


def test_cli_conflict_is_one_line_exit_13(bundle, xdg_cache):  # noqa: F811
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = invoke("run", str(bundle), "--accel", "tcg", "-p", f"{port}:80")
    assert result.exit_code == 13
    assert result.stderr.count("\n") == 1 or result.stderr.startswith("cvmify: warning")
    assert f"cvmify: error: -p 127.0.0.1:{port} -> 80/tcp: 127.0.0.1:{port} is not available" in result.stderr
    result = invoke("run", str(bundle), "--accel", "tcg", "-p", "eighty")
    assert result.exit_code == 13
    assert result.stderr.strip().splitlines()[-1].startswith("cvmify: error: -p 'eighty'")
