"""Seed inputs for the network fuzzers (tests/fuzz/net.mk): well-formed
scripts in each fuzzer's input format, so that libFuzzer starts from
frames lwIP answers (ARP, ICMP echo, TCP SYN and data, UDP, IPv4
fragments, IPv6 neighbour solicitation and echo) instead of from noise.

Usage: python3 net_seeds.py fuzz_net_frames|fuzz_net_ring DIR
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

GUEST_MAC = bytes.fromhex("525400123456")
HOST_MAC = bytes.fromhex("525500000202")
GUEST4, HOST4 = bytes([10, 0, 2, 15]), bytes([10, 0, 2, 2])
GUEST6_LL = bytes.fromhex("fe80000000000000505400fffe123456")
HOST6_LL = bytes.fromhex("fe800000000000000000000000000002")


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def eth(dst: bytes, ethertype: int, payload: bytes) -> bytes:
    return dst + HOST_MAC + struct.pack("!H", ethertype) + payload


def ipv4(proto: int, payload: bytes, frag: int = 0, ident: int = 1) -> bytes:
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                      HOST4, GUEST4)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def l4_sum(proto: int, seg: bytes) -> int:
    return csum(HOST4 + GUEST4 + struct.pack("!BBH", 0, proto, len(seg)) + seg)


def tcp(flags: int, seq: int = 1000, ack: int = 0, data: bytes = b"") -> bytes:
    seg = struct.pack("!HHIIBBHHH", 40000, 80, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
    return eth(GUEST_MAC, 0x0800, ipv4(6, seg[:16] + struct.pack("!H", l4_sum(6, seg)) + seg[18:]))


def udp(payload: bytes) -> bytes:
    seg = struct.pack("!HHHH", 40001, 53, 8 + len(payload), 0) + payload
    return eth(GUEST_MAC, 0x0800, ipv4(17, seg[:6] + struct.pack("!H", l4_sum(17, seg)) + seg[8:]))


def icmp_echo() -> bytes:
    msg = struct.pack("!BBHHH", 8, 0, 0, 7, 1) + b"ping" * 8
    return eth(GUEST_MAC, 0x0800, ipv4(1, msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]))


def arp_request() -> bytes:
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + HOST_MAC + HOST4 + bytes(6) + GUEST4
    return eth(b"\xff" * 6, 0x0806, body)


def udp_fragments() -> list[bytes]:
    payload = bytes(range(256)) * 8
    seg = struct.pack("!HHHH", 40002, 53, 8 + len(payload), 0) + payload
    first, rest = seg[:1480], seg[1480:]
    return [eth(GUEST_MAC, 0x0800, ipv4(17, first, frag=0x2000, ident=9)),
            eth(GUEST_MAC, 0x0800, ipv4(17, rest, frag=1480 // 8, ident=9))]


def ipv6(next_header: int, payload: bytes, dst: bytes) -> bytes:
    hdr = struct.pack("!IHBB16s16s", 6 << 28, len(payload), next_header, 255, HOST6_LL, dst)
    return eth(GUEST_MAC, 0x86DD, hdr + payload)


def icmp6(kind: int, body: bytes, dst: bytes) -> bytes:
    msg = struct.pack("!BBH", kind, 0, 0) + body
    pseudo = HOST6_LL + dst + struct.pack("!I3xB", len(msg), 58)
    return ipv6(58, msg[:2] + struct.pack("!H", csum(pseudo + msg)) + msg[4:], dst)


def ipv6_fragments() -> list[bytes]:
    """An ICMPv6 echo request in two fragments (fragment header 44)."""
    body = struct.pack("!BBHHH", 128, 0, 0, 5, 1) + bytes(range(256)) * 6
    dst = GUEST6_LL
    pseudo = HOST6_LL + dst + struct.pack("!I3xB", len(body), 58)
    body = body[:2] + struct.pack("!H", csum(pseudo + body)) + body[4:]
    first, rest = body[:1232], body[1232:]
    frag = lambda off, more, data: ipv6(44, struct.pack("!BBHI", 58, 0, off | more, 77) + data, dst)
    return [frag(0, 1, first), frag(1232, 0, rest)]


def frames_seeds() -> dict[str, bytes]:
    def script(*frames: bytes, time_steps: int = 0, settle: int = 0) -> bytes:
        """settle: clock steps first (IPv6 addresses leave DAD after ~1 s)."""
        out = b"\xff" * settle + b"".join(b"\x00" + struct.pack("<H", len(f)) + f for f in frames)
        return out + b"\xff" * time_steps

    ns = icmp6(135, bytes(4) + GUEST6_LL + bytes([1, 1]) + HOST_MAC, GUEST6_LL)
    echo6 = icmp6(128, struct.pack("!HH", 3, 1) + b"v6", GUEST6_LL)
    return {
        "arp": script(arp_request()),
        "icmp": script(arp_request(), icmp_echo()),
        "tcp": script(arp_request(), tcp(0x02), tcp(0x10, 1001, 1), tcp(0x18, 1001, 1, b"GET / HTTP/1.0\r\n\r\n"),
                      tcp(0x11, 1020, 1), time_steps=4),
        "udp": script(udp(b"query"), udp(b"x" * 600)),
        "frag": script(*udp_fragments(), time_steps=2),
        "ipv6": script(ns, echo6, settle=2),
        "frag6": script(ns, *ipv6_fragments(), time_steps=2, settle=2),
        "timers": script(time_steps=20),
    }


def ring_seeds() -> dict[str, bytes]:
    def op(kind: int, length: int, body: bytes = b"") -> bytes:
        return bytes([kind]) + struct.pack("<H", length) + body
    frame = arp_request()
    return {
        "honest": b"\x06\x00" + op(0, len(frame), frame[:64]) * 3 + op(2, 60) + op(3, 0, b"\x01") + op(4, 0, b"\x01"),
        "lies": b"\x03\x01" + bytes(6) + op(1, 80, bytes(12) + b"\x00\x10\x00") + op(0, 40),
        "full": b"\x00\x00" + op(2, 100) * 4 + op(3, 0, b"\x00\x05\x00\x00") + op(2, 100),
    }


def main() -> None:
    which, out = sys.argv[1], Path(sys.argv[2])
    seeds = frames_seeds() if which == "fuzz_net_frames" else ring_seeds()
    out.mkdir(parents=True, exist_ok=True)
    for name, data in seeds.items():
        (out / f"seed-{name}").write_bytes(data)


if __name__ == "__main__":
    main()
