"""CCEL / TCG2 crypto-agile event logs: parse, replay, write.

The format (TCG PC Client Platform Firmware Profile, "crypto agile log";
ACPI CCEL for where a TD's log lives):
- the first event is in the old SHA-1 layout: u32 index, u32 type
  (EV_NO_ACTION), 20 zero bytes, u32 size, then TCG_EfiSpecIDEvent
  ("Spec ID Event03", version 2, the digest algorithms and sizes);
- then TCG_PCR_EVENT2: u32 index, u32 type, u32 digest count, per digest
  u16 algorithm id and its bytes, u32 event size, event data;
- the log ends where the next index is 0xffffffff (unused space is filled
  with 0xff) or the data ends.
In a TD the index is the measurement register: 0 = MRTD, 1..4 = RTMR0..3
(CCEL). Replay: RTMR = SHA-384(RTMR || digest) per event, EV_NO_ACTION
skipped. Everything here is untrusted input: lengths and counts are
bounded and checked before use.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from cvmify.errors import AttestationError

EV_NO_ACTION = 0x00000003
ALG_SHA384 = 0x000C
DIGEST_SIZES = {0x0004: 20, 0x000B: 32, 0x000C: 48, 0x000D: 64, 0x0012: 32}  # SHA1, SHA256, SHA384, SHA512, SM3
SPEC_ID_SIGNATURE = b"Spec ID Event03\0"
MAX_EVENTS = 100_000
MAX_EVENT_SIZE = 16 << 20
RTMR_COUNT = 4
CCEL_SIGNATURE = b"CCEL"


@dataclass(frozen=True)
class Event:
    index: int  # 0 = MRTD, 1..4 = RTMR0..3
    type: int
    digests: dict[int, bytes]
    data: bytes

    @property
    def rtmr(self) -> int | None:
        return self.index - 1 if 1 <= self.index <= RTMR_COUNT else None


def _fail(message: str) -> None:
    raise AttestationError(f"event log: {message}")


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.at = 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            _fail(f"truncated at offset {self.at}")
        out = self.data[self.at:self.at + size]
        self.at += size
        return out

    def u16(self) -> int:
        return struct.unpack("<H", self.take(2))[0]

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def at_end(self) -> bool:
        rest = self.data[self.at:self.at + 8]
        return len(rest) < 8 or rest[:4] == b"\xff\xff\xff\xff" or rest == bytes(8)


def _spec_id(reader: _Reader) -> dict[int, int]:
    """The first event: returns {algorithm id: digest size}."""
    reader.u32()
    if reader.u32() != EV_NO_ACTION:
        _fail("the first event is not the EV_NO_ACTION Spec ID event")
    reader.take(20)
    body = _Reader(reader.take(reader.u32()))
    if body.take(16) != SPEC_ID_SIGNATURE:
        _fail("no 'Spec ID Event03' signature")
    body.take(4)  # platformClass
    minor, major, _errata, _uintn = body.take(4)
    if major != 2:
        _fail(f"spec version {major}.{minor} is not 2.x (crypto agile)")
    count = body.u32()
    if not 1 <= count <= len(DIGEST_SIZES):
        _fail(f"{count} digest algorithms")
    sizes = {}
    for _ in range(count):
        alg, size = body.u16(), body.u16()
        if DIGEST_SIZES.get(alg) != size:
            _fail(f"algorithm {alg:#x} with digest size {size}")
        sizes[alg] = size
    if ALG_SHA384 not in sizes:
        _fail("no SHA-384 digests (a TD log must have them)")
    return sizes


def parse_event_log(data: bytes) -> list[Event]:
    """Every event after the Spec ID event, in order."""
    reader = _Reader(data)
    sizes = _spec_id(reader)
    events: list[Event] = []
    while not reader.at_end():
        if len(events) == MAX_EVENTS:
            _fail(f"more than {MAX_EVENTS} events")
        index, type_, count = reader.u32(), reader.u32(), reader.u32()
        if count != len(sizes):
            _fail(f"event {len(events)} has {count} digests, the header announced {len(sizes)}")
        digests = {}
        for _ in range(count):
            alg = reader.u16()
            if alg not in sizes or alg in digests:
                _fail(f"event {len(events)}: unexpected digest algorithm {alg:#x}")
            digests[alg] = reader.take(sizes[alg])
        size = reader.u32()
        if size > MAX_EVENT_SIZE:
            _fail(f"event {len(events)} claims {size} bytes of data")
        events.append(Event(index=index, type=type_, digests=digests, data=reader.take(size)))
    return events


def replay(events: list[Event]) -> tuple[bytes, bytes, bytes, bytes]:
    """RTMR0..3 after extending, from zero, every event's SHA-384 digest."""
    rtmrs = [bytes(48)] * RTMR_COUNT
    for event in events:
        if event.type == EV_NO_ACTION:
            continue
        if event.rtmr is None:
            _fail(f"event for measurement register index {event.index} (RTMRs are 1..4)")
        rtmrs[event.rtmr] = hashlib.sha384(rtmrs[event.rtmr] + event.digests[ALG_SHA384]).digest()
    return tuple(rtmrs)  # type: ignore[return-value]


def ccel_log_area(table: bytes) -> tuple[int, int]:
    """(LAML, LASA) from an ACPI CCEL table: the log's size and address."""
    if len(table) < 56 or table[:4] != CCEL_SIGNATURE:
        _fail("not an ACPI CCEL table")
    (length,) = struct.unpack_from("<I", table, 4)
    if length != len(table) or sum(table) % 256 != 0:
        _fail("CCEL table length or checksum is wrong")
    laml, lasa = struct.unpack_from("<QQ", table, 40)
    return laml, lasa


# -- writing (the same layout the kernel writes: kernel/platform/tdx/eventlog.c) --


def spec_id_event() -> bytes:
    body = SPEC_ID_SIGNATURE + struct.pack("<IBBBB", 0, 0, 2, 0, 2)
    body += struct.pack("<IHH", 1, ALG_SHA384, 48) + b"\0"  # one algorithm, no vendor info
    return struct.pack("<II", 0, EV_NO_ACTION) + bytes(20) + struct.pack("<I", len(body)) + body


def event_bytes(index: int, type_: int, digest: bytes, data: bytes) -> bytes:
    return (struct.pack("<IIIH", index, type_, 1, ALG_SHA384) + digest
            + struct.pack("<I", len(data)) + data)
