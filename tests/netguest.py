"""Network helpers for guest tests: free host ports, and a bundle booted
with QEMU directly with a virtio-net device on user networking (the same
machine as tests/guest.py), running while the test talks to it.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Iterator

from tests.guest import RUN_TIMEOUT, qemu_argv


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port on 127.0.0.1 nobody uses right now (bind port 0)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def booted_with_net(bundle: Path, tmp_path: Path, hostfwd: list[str],
                    extra: list[str] = ()) -> Iterator[subprocess.Popen]:
    """Boot the bundle's files with `-netdev user` (id n0) and the given
    hostfwd rules ("tcp:127.0.0.1:HOST-:GUEST"), extra QEMU arguments
    after them (e.g. frame_dump); the guest is killed on exit."""
    argv = qemu_argv(bundle / "kernel.elf", tmp_path, {
        "opt/cvmify/config": bundle / "config.bin",
        "opt/cvmify/disk-key": bundle / "disk-key.dev",
    })
    netdev = "user,id=n0" + "".join(f",hostfwd={rule}" for rule in hostfwd)
    argv += [
        "-global", "virtio-mmio.force-legacy=false",
        "-drive", f"file={bundle / 'rootfs.img'},format=raw,if=none,readonly=on,id=root",
        "-device", "virtio-blk-device,drive=root",
        "-netdev", netdev, "-device", "virtio-net-device,netdev=n0",
        *extra,
    ]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        yield proc
    finally:
        proc.kill()
        proc.communicate(timeout=RUN_TIMEOUT)


def frame_dump(pcap: Path) -> list[str]:
    """QEMU arguments writing every frame of booted_with_net's netdev,
    both ways, to pcap."""
    return ["-object", f"filter-dump,id=dump0,netdev=n0,file={pcap}"]


def pcap_frames(path: Path) -> list[bytes]:
    """The Ethernet frames of a pcap file (QEMU's filter-dump)."""
    data = path.read_bytes() if path.exists() else b""
    frames, offset = [], 24  # the file header
    while offset + 16 <= len(data):
        length = struct.unpack_from("<I", data, offset + 8)[0]
        frames.append(data[offset + 16:offset + 16 + length])
        offset += 16 + length
    return frames


def neighbour_solicitations(path: Path) -> set[ipaddress.IPv6Address]:
    """The targets of the IPv6 neighbour solicitations in a pcap file."""
    targets = set()
    for frame in pcap_frames(path):
        # Ethernet, IPv6 (next header 58: ICMPv6), type 135, 4 reserved bytes
        if frame[12:14] == b"\x86\xdd" and frame[20] == 58 and frame[54] == 135:
            targets.add(ipaddress.IPv6Address(frame[62:78]))
    return targets


def log_text(tmp_path: Path) -> str:
    com3 = tmp_path / "com3.log"
    return com3.read_text(errors="replace") if com3.exists() else ""


def wait_for_log(tmp_path: Path, needle: str, timeout: float = 120) -> str:
    """Wait until COM3 shows needle (e.g. the kernel reached the app)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log_text(tmp_path)
        if needle in text:
            return text
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} not in the kernel log:\n{log_text(tmp_path)}")
