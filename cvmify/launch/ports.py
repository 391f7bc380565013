"""The guest's network on the host: `cvmify run -p/-P/--network`.

The guest's network is QEMU user networking (slirp): no root, no daemon,
no bridge. Egress works by default; published ports are slirp `hostfwd`
rules from a host address and port to the guest's port. Everything is
checked before QEMU starts: a malformed `-p`, a host port that is taken
or privileged, or two rules for one host port is a one-line
`PortUnavailableError` (exit 13), never a half-started VM.

The slirp network follows the bundle's measured NET record (or QEMU's
defaults when there is none), so the guest's static address and the
network QEMU hands out agree.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path

from cvmify.errors import PortUnavailableError, UsageError

DEFAULT_HOST_IP = "127.0.0.1"
NETWORKS = ("user", "none")
PROTOCOLS = ("tcp", "udp")
_EXPOSED = re.compile(r"^(?P<port>[0-9]+)(?:/(?P<proto>[a-z]+))?$")
UNPRIVILEGED_START_FILE = Path("/proc/sys/net/ipv4/ip_unprivileged_port_start")


@dataclass(frozen=True)
class PortMapping:
    host_ip: str
    host_port: int  # 0 until a free one is chosen (-P, or -p GUESTPORT)
    guest_port: int
    proto: str  # "tcp" | "udp"

    def describe(self) -> str:
        return f"{self.host_ip}:{self.host_port} -> {self.guest_port}/{self.proto}"


@dataclass(frozen=True)
class NetSpec:
    """What QEMU needs for the guest's network (None in VmSpec: no device)."""

    guest_ip: str = "10.0.2.15"
    network: str = "10.0.2.0/24"  # slirp's net=
    gateway: str = "10.0.2.2"  # slirp's host=
    dns: str = "10.0.2.3"  # slirp's dns=
    ports: tuple[PortMapping, ...] = field(default_factory=tuple)

    def netdev_arg(self, netdev_id: str) -> str:
        rules = "".join(
            f",hostfwd={p.proto}:{p.host_ip}:{p.host_port}-{self.guest_ip}:{p.guest_port}"
            for p in self.ports)
        return (f"user,id={netdev_id},net={self.network},host={self.gateway},dns={self.dns}"
                f"{rules}")


def _port(text: str, what: str, spec: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise PortUnavailableError(f"-p {spec!r}: {what} {text!r} is not a port (1..65535)")
    return int(text)


def parse_publish(spec: str) -> PortMapping:
    """docker's `-p [HOSTIP:][HOSTPORT:]GUESTPORT[/tcp|/udp]`; without a host
    port a free one is chosen later. Host IPs are IPv4 (slirp forwards from
    IPv4 addresses)."""
    ports_part, _, proto = spec.strip().partition("/")
    fields = ports_part.split(":")
    if not 1 <= len(fields) <= 3 or (len(fields) == 3 and not fields[0]):
        raise PortUnavailableError(
            f"-p {spec!r}: expected [HOSTIP:][HOSTPORT:]GUESTPORT[/tcp|/udp], e.g. 8080:80")
    if "-" in ports_part:
        raise PortUnavailableError(f"-p {spec!r}: port ranges are not supported; give one -p per port")
    proto = proto or "tcp"
    if proto not in PROTOCOLS:
        raise PortUnavailableError(f"-p {spec!r}: protocol {proto!r} is not tcp or udp")
    host_ip = fields[0] if len(fields) == 3 else DEFAULT_HOST_IP
    try:
        ipaddress.IPv4Address(host_ip)
    except ValueError:
        raise PortUnavailableError(f"-p {spec!r}: {host_ip!r} is not an IPv4 address") from None
    host = fields[-2] if len(fields) >= 2 else ""
    host_port = _port(host, "host port", spec) if host else 0
    return PortMapping(host_ip, host_port, _port(fields[-1], "guest port", spec), proto)


def exposed_mappings(exposed: list[str]) -> list[PortMapping]:
    """-P: each EXPOSEd port ("80/tcp") on a free host port of 127.0.0.1."""
    out = []
    for item in exposed:
        match = _EXPOSED.match(item.strip())
        proto = (match.group("proto") or "tcp") if match else ""
        if not match or proto not in PROTOCOLS or not 1 <= int(match.group("port")) <= 65535:
            raise PortUnavailableError(f"-P: the image exposes {item!r}, which is not PORT[/tcp|/udp]")
        out.append(PortMapping(DEFAULT_HOST_IP, 0, int(match.group("port")), proto))
    return out


def _kind(proto: str) -> int:
    return socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM


def unprivileged_port_start() -> int:
    try:
        return int(UNPRIVILEGED_START_FILE.read_text().strip())
    except (OSError, ValueError):
        return 1024


def _check_free(m: PortMapping, euid: int) -> None:
    """Bind the host side once, as QEMU will; refuse what cannot work."""
    if m.host_port and m.host_port < unprivileged_port_start() and euid != 0:
        raise PortUnavailableError(
            f"-p {m.describe()}: host port {m.host_port} is privileged and cvmify does not run as "
            f"root; use a port >= {unprivileged_port_start()}")
    with socket.socket(socket.AF_INET, _kind(m.proto)) as s:
        if m.proto == "tcp":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as slirp does
        try:
            s.bind((m.host_ip, m.host_port))
        except PermissionError:
            raise PortUnavailableError(
                f"-p {m.describe()}: not allowed to bind {m.host_ip}:{m.host_port}") from None
        except OSError as exc:
            raise PortUnavailableError(
                f"-p {m.describe()}: {m.host_ip}:{m.host_port} is not available "
                f"({exc.strerror or exc})") from None


def _choose_free(m: PortMapping) -> PortMapping:
    """A host port nobody uses now (bind port 0). Another program may take
    it before QEMU does; QEMU then fails and says so."""
    with socket.socket(socket.AF_INET, _kind(m.proto)) as s:
        try:
            s.bind((m.host_ip, 0))
        except OSError as exc:
            raise PortUnavailableError(
                f"-p {m.describe()}: cannot bind {m.host_ip} ({exc.strerror or exc})") from None
        port = s.getsockname()[1]
    return PortMapping(m.host_ip, port, m.guest_port, m.proto)


def resolve_ports(mappings: list[PortMapping], euid: int) -> tuple[PortMapping, ...]:
    """Check every fixed host port and choose the free ones; refuse two
    rules for one host address, port and protocol."""
    out: list[PortMapping] = []
    seen: set[tuple[str, int, str]] = set()
    for m in mappings:
        if m.host_port:
            _check_free(m, euid)
        else:
            m = _choose_free(m)
        key = (m.host_ip, m.host_port, m.proto)
        if key in seen or ("0.0.0.0", m.host_port, m.proto) in seen or (
                m.host_ip == "0.0.0.0" and any(k[1:] == key[1:] for k in seen)):
            raise PortUnavailableError(f"-p {m.describe()}: host port {m.host_port}/{m.proto} "
                                       "is published twice")
        seen.add(key)
        out.append(m)
    return tuple(out)


def slirp_network(net_config) -> NetSpec:
    """slirp's network around the guest's measured IPv4 address: its gateway
    and first IPv4 DNS server when they lie inside the network (slirp needs
    that), else slirp's own .2 and .3 there."""
    iface = net_config.ipv4
    net = iface.network
    inside = [a for a in (net_config.gateway4, *net_config.dns)
              if a is not None and a.version == 4 and a in net]
    gateway = net_config.gateway4 if net_config.gateway4 in inside else net.network_address + 2
    dns = next((a for a in net_config.dns if a in inside), net.network_address + 3)
    return NetSpec(guest_ip=str(iface.ip), network=str(net), gateway=str(gateway), dns=str(dns))


def mapping_lines(spec: NetSpec | None) -> list[str]:
    """What `cvmify run` prints about published ports, one line each."""
    if spec is None:
        return []
    return [f"published {m.describe()}" for m in spec.ports]


def net_spec(network: str, publish: list[str], publish_all: bool, exposed: list[str],
             net_config, euid: int) -> NetSpec | None:
    """The guest's network for `cvmify run`: None for `--network none`.
    net_config is the bundle's NET record (cvmify.manifest.netconfig) or
    None for QEMU's defaults."""
    if network not in NETWORKS:
        raise UsageError(f"--network {network!r}: expected user or none")
    mappings = [parse_publish(p) for p in publish]
    if publish_all:
        mappings += exposed_mappings(exposed)
    if network == "none":
        if mappings:
            raise UsageError("-p/-P need a network; they cannot be used with --network none")
        return None
    base = NetSpec()
    if net_config is not None and net_config.ipv4 is not None:
        base = slirp_network(net_config)
    elif net_config is not None and mappings:
        raise UsageError("-p/-P: the bundle's network has no IPv4 address (net.ipv4 = \"none\")")
    return NetSpec(base.guest_ip, base.network, base.gateway, base.dns,
                   resolve_ports(mappings, euid))
