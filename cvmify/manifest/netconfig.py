"""The NET and HOSTNAME records of config.bin (docs/boot-config.md): the
manifest's `[net]` table turned into the kernel's fixed 96-byte NET value,
and the kernel's checks applied to one (fail closed).

Defaults are QEMU user networking's addresses: 10.0.2.15/24 via 10.0.2.2,
fec0::15/64 via fec0::2, DNS 10.0.2.3 and fec0::3. A manifest without
`[net]` writes no NET record and the kernel uses the same defaults.
"""

from __future__ import annotations

import ipaddress
import re
import struct
from dataclasses import dataclass, field

from cvmify.errors import BadBundleError, InvalidManifestError

NET_SIZE = 96
MAX_DNS = 3
HOSTNAME_MAX = 64
FLAG_IPV4, FLAG_IPV6, FLAG_ETC_FILES = 0x1, 0x2, 0x4
KNOWN_FLAGS = FLAG_IPV4 | FLAG_IPV6 | FLAG_ETC_FILES
# flags, ipv4 addr, ipv4 gateway, ipv4 prefix, ipv6 prefix, dns count,
# reserved, ipv6 addr, ipv6 gateway, 3 dns slots
LAYOUT = struct.Struct("<I4s4sBBBB16s16s48s")
assert LAYOUT.size == NET_SIZE

DEFAULT_IPV4 = "10.0.2.15/24"
DEFAULT_GATEWAY4 = "10.0.2.2"
DEFAULT_IPV6 = "fec0::15/64"
DEFAULT_GATEWAY6 = "fec0::2"
DEFAULT_DNS = ("10.0.2.3", "fec0::3")

_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?")


@dataclass
class NetConfig:
    ipv4: ipaddress.IPv4Interface | None = ipaddress.IPv4Interface(DEFAULT_IPV4)
    gateway4: ipaddress.IPv4Address | None = ipaddress.IPv4Address(DEFAULT_GATEWAY4)
    ipv6: ipaddress.IPv6Interface | None = ipaddress.IPv6Interface(DEFAULT_IPV6)
    gateway6: ipaddress.IPv6Address | None = ipaddress.IPv6Address(DEFAULT_GATEWAY6)
    dns: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = field(
        default_factory=lambda: [ipaddress.ip_address(a) for a in DEFAULT_DNS])
    etc_files: bool = True


def hostname_problem(name: str) -> str | None:
    """Why name is not an acceptable host name (the kernel's rule), or None."""
    if not 1 <= len(name.encode("utf-8")) <= HOSTNAME_MAX:
        return f"must be 1..{HOSTNAME_MAX} bytes"
    if not all(_LABEL.fullmatch(label) for label in name.split(".")):
        return "must be dot-separated labels of letters, digits and inner '-'"
    return None


def from_manifest(net: dict) -> NetConfig:
    """The `[net]` table (already type-checked by the schema) as a NetConfig;
    InvalidManifestError names the key with a bad value."""
    cfg = NetConfig()
    for version in (4, 6):
        key, gw_key = f"ipv{version}", f"gateway{version}"
        if key in net:
            iface = None if net[key] == "none" else _interface(f"net.{key}", net[key], version)
            setattr(cfg, key, iface)
            if iface is None:
                setattr(cfg, gw_key, None)
        if gw_key in net:
            setattr(cfg, gw_key, _address(f"net.{gw_key}", net[gw_key], version))
        if getattr(cfg, gw_key) is not None and getattr(cfg, key) is None:
            raise InvalidManifestError(
                f"net.{gw_key}: there is no IPv{version} address (net.{key} = \"none\")")
    if "dns" in net:
        if len(net["dns"]) > MAX_DNS:
            raise InvalidManifestError(f"net.dns: at most {MAX_DNS} servers")
        cfg.dns = [_address(f"net.dns[{i}]", a, None) for i, a in enumerate(net["dns"])]
    cfg.etc_files = net.get("etc_files", True)
    return cfg


def _interface(key: str, text: str, version: int):
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError as e:
        raise InvalidManifestError(f"{key}: {text!r} is not ADDRESS/PREFIX") from e
    if iface.version != version or "/" not in text:
        raise InvalidManifestError(f"{key}: expected an IPv{version} ADDRESS/PREFIX, got {text!r}")
    if iface.network.prefixlen == 0 or int(iface.ip) == 0:
        raise InvalidManifestError(f"{key}: {text!r} has no usable address or prefix")
    return iface


def _address(key: str, text: str, version: int | None):
    try:
        addr = ipaddress.ip_address(text)
    except ValueError as e:
        raise InvalidManifestError(f"{key}: {text!r} is not an IP address") from e
    if version is not None and addr.version != version:
        raise InvalidManifestError(f"{key}: expected an IPv{version} address, got {text!r}")
    if int(addr) == 0:
        raise InvalidManifestError(f"{key}: {text!r} is not a usable address")
    return addr


def _as16(addr) -> bytes:
    if addr.version == 4:
        return ipaddress.IPv6Address(f"::ffff:{addr}").packed
    return addr.packed


def encode(cfg: NetConfig) -> bytes:
    flags = (FLAG_IPV4 if cfg.ipv4 else 0) | (FLAG_IPV6 if cfg.ipv6 else 0)
    flags |= FLAG_ETC_FILES if cfg.etc_files else 0
    dns = b"".join(_as16(a) for a in cfg.dns).ljust(48, b"\0")
    return LAYOUT.pack(
        flags,
        cfg.ipv4.ip.packed if cfg.ipv4 else bytes(4),
        cfg.gateway4.packed if cfg.gateway4 else bytes(4),
        cfg.ipv4.network.prefixlen if cfg.ipv4 else 0,
        cfg.ipv6.network.prefixlen if cfg.ipv6 else 0,
        len(cfg.dns),
        0,
        cfg.ipv6.ip.packed if cfg.ipv6 else bytes(16),
        cfg.gateway6.packed if cfg.gateway6 else bytes(16),
        dns,
    )


def decode(value: bytes, where: str) -> NetConfig:
    """The kernel's checks on a NET value; BadBundleError on any refusal."""
    def refuse(why: str):
        raise BadBundleError(f"{where}: {why}")

    if len(value) != NET_SIZE:
        refuse(f"{len(value)} bytes, expected {NET_SIZE}")
    flags, a4, g4, p4, p6, dns_count, reserved, a6, g6, dns = LAYOUT.unpack(value)
    if flags & ~KNOWN_FLAGS or reserved:
        refuse("unknown flags or a non-zero reserved byte")
    cfg = NetConfig(etc_files=bool(flags & FLAG_ETC_FILES), dns=[])
    if flags & FLAG_IPV4:
        if not 1 <= p4 <= 32 or a4 == bytes(4):
            refuse("bad IPv4 address or prefix")
        cfg.ipv4 = ipaddress.IPv4Interface((a4, p4))
        cfg.gateway4 = ipaddress.IPv4Address(g4) if g4 != bytes(4) else None
    elif a4 + g4 + bytes([p4]) != bytes(9):
        refuse("IPv4 fields without the IPv4 flag")
    else:
        cfg.ipv4 = cfg.gateway4 = None
    if flags & FLAG_IPV6:
        if not 1 <= p6 <= 128 or a6 == bytes(16):
            refuse("bad IPv6 address or prefix")
        cfg.ipv6 = ipaddress.IPv6Interface((a6, p6))
        cfg.gateway6 = ipaddress.IPv6Address(g6) if g6 != bytes(16) else None
    elif p6 or a6 + g6 != bytes(32):
        refuse("IPv6 fields without the IPv6 flag")
    else:
        cfg.ipv6 = cfg.gateway6 = None
    if dns_count > MAX_DNS:
        refuse(f"{dns_count} DNS servers, at most {MAX_DNS}")
    for i in range(MAX_DNS):
        slot = dns[16 * i: 16 * i + 16]
        if (i < dns_count) == (slot == bytes(16)):
            refuse("DNS slots do not match dns_count")
        if i < dns_count:
            addr = ipaddress.IPv6Address(slot)
            cfg.dns.append(addr.ipv4_mapped or addr)
    return cfg
