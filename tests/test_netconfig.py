"""The NET and HOSTNAME records (docs/boot-config.md): the manifest's
`[net]` table, the 96-byte NET layout, and every refusal the kernel
applies (kernel/config/config_net.c does the same checks; its host test
is kernel/tests/host/test_config.c)."""

from __future__ import annotations

import ipaddress
import struct

import pytest

from cvmify.errors import BadBundleError, InvalidManifestError
from cvmify.manifest import netconfig
from cvmify.manifest import records as r
from cvmify.manifest.bootconfig import compile_boot_config, parse_boot_config
from tests.test_bootconfig import ROOT, blob, minimal


def manifest(net: dict | None = None) -> dict:
    m = {"libos": {"entrypoint": "/bin/app"}, "loader": {"argv": ["app"]}}
    if net is not None:
        m["net"] = net
    return m


def test_no_net_table_writes_no_record():
    cfg = parse_boot_config(compile_boot_config(manifest(), ROOT))
    assert cfg.net is None and cfg.hostname is None


def test_defaults_are_qemu_user_networking():
    cfg = parse_boot_config(compile_boot_config(manifest({}), ROOT)).net
    assert cfg.ipv4 == ipaddress.ip_interface("10.0.2.15/24")
    assert cfg.gateway4 == ipaddress.ip_address("10.0.2.2")
    assert cfg.ipv6 == ipaddress.ip_interface("fec0::15/64")
    assert cfg.gateway6 == ipaddress.ip_address("fec0::2")
    assert cfg.dns == [ipaddress.ip_address("10.0.2.3"), ipaddress.ip_address("fec0::3")]
    assert cfg.etc_files is True


def test_round_trip():
    net = {"ipv4": "192.168.7.9/16", "gateway4": "192.168.0.1", "ipv6": "none",
           "dns": ["1.1.1.1", "2001:db8::53"], "hostname": "web-1.example", "etc_files": False}
    cfg = parse_boot_config(compile_boot_config(manifest(net), ROOT))
    assert cfg.net.ipv4 == ipaddress.ip_interface("192.168.7.9/16")
    assert cfg.net.gateway4 == ipaddress.ip_address("192.168.0.1")
    assert cfg.net.ipv6 is None and cfg.net.gateway6 is None
    assert cfg.net.dns == [ipaddress.ip_address("1.1.1.1"), ipaddress.ip_address("2001:db8::53")]
    assert cfg.net.etc_files is False
    assert cfg.hostname == "web-1.example"


def test_byte_layout():
    value = netconfig.encode(netconfig.from_manifest({"dns": ["10.0.2.3"]}))
    assert len(value) == 96
    flags, = struct.unpack_from("<I", value, 0)
    assert flags == 0x7
    assert value[4:8] == bytes([10, 0, 2, 15]) and value[8:12] == bytes([10, 0, 2, 2])
    assert (value[12], value[13], value[14], value[15]) == (24, 64, 1, 0)
    assert value[16:32] == ipaddress.ip_address("fec0::15").packed
    assert value[32:48] == ipaddress.ip_address("fec0::2").packed
    assert value[48:64] == bytes(10) + b"\xff\xff" + bytes([10, 0, 2, 3])  # IPv4-mapped
    assert value[64:96] == bytes(32)


@pytest.mark.parametrize("net, key", [
    ({"ipv4": "10.0.2.15"}, "net.ipv4"),
    ({"ipv4": "fec0::1/64"}, "net.ipv4"),
    ({"ipv4": "0.0.0.0/8"}, "net.ipv4"),
    ({"ipv4": "10.0.0.1/0"}, "net.ipv4"),
    ({"ipv6": "fec0::15"}, "net.ipv6"),
    ({"gateway4": "fec0::2"}, "net.gateway4"),
    ({"gateway6": "10.0.2.2"}, "net.gateway6"),
    ({"ipv4": "none", "gateway4": "10.0.2.2"}, "net.gateway4"),
    ({"dns": ["1.1.1.1"] * 4}, "net.dns"),
    ({"dns": ["resolver"]}, "net.dns"),
    ({"hostname": "-web"}, "net.hostname"),
    ({"hostname": "a" * 65}, "net.hostname"),
    ({"hostname": "web_1"}, "net.hostname"),
    ({"hostname": "web."}, "net.hostname"),
    ({"mtu": 1500}, "net.mtu"),
])
def test_bad_manifest_values_name_the_key(net, key):
    with pytest.raises(InvalidManifestError, match=key.replace(".", r"\.")):
        compile_boot_config(manifest(net), ROOT)


def good_value() -> bytearray:
    return bytearray(netconfig.encode(netconfig.NetConfig()))


def edited(offset: int, byte: int) -> bytes:
    value = good_value()
    value[offset] = byte
    return bytes(value)


@pytest.mark.parametrize("value, message", [
    (bytes(good_value())[:92], "92 bytes, expected 96"),
    (bytes(good_value()) + bytes(4), "100 bytes, expected 96"),
    (edited(0, 0x0f), "unknown flags"),
    (edited(15, 1), "reserved"),
    (edited(12, 0), "IPv4 address or prefix"),
    (edited(12, 33), "IPv4 address or prefix"),
    (edited(13, 129), "IPv6 address or prefix"),
    (edited(0, 0x06), "IPv4 fields without the IPv4 flag"),
    (edited(0, 0x05), "IPv6 fields without the IPv6 flag"),
    (edited(14, 4), "4 DNS servers"),
    (edited(14, 3), "DNS slots"),
    (edited(14, 1), "DNS slots"),
])
def test_net_value_refusals(value, message):
    with pytest.raises(BadBundleError, match=message):
        parse_boot_config(blob(minimal({r.NET: [value]})))


def test_record_counts_and_hostname_rules():
    value = bytes(good_value())
    with pytest.raises(BadBundleError, match="2 NET records"):
        parse_boot_config(blob(minimal({r.NET: [value, value]})))
    with pytest.raises(BadBundleError, match="2 HOSTNAME records"):
        parse_boot_config(blob(minimal({r.HOSTNAME: [b"a", b"b"]})))
    for bad in (b"", b"-a", b"a..b", b"a b", b"x" * 65):
        with pytest.raises(BadBundleError, match="HOSTNAME"):
            parse_boot_config(blob(minimal({r.HOSTNAME: [bad]})))
    assert parse_boot_config(blob(minimal({r.HOSTNAME: [b"db-2"]}))).hostname == "db-2"
