"""The key-release protocol: frames on the guest's relay channel, the
REPORTDATA binding, and the key wrapping (docs/tdx.md, "Key release";
the guest side is kernel/platform/tdx/kbs.c).

Frames (COM4, binary): u8 type | u8 0 | u16 0 | u32 length (LE) | payload.

    HELLO      guest -> relay   u32 version (1) | disk root (48)
    CHALLENGE  relay -> guest   nonce (32), the broker's
    SIM_QUOTE  guest -> relay   TDREPORT (1024)             plain VM only
    QUOTE      relay -> guest   a simulated quote
    ATTEST     guest -> relay   pub (65) | u32 n | quote (n) | u32 m | event log (m)
    KEY        relay -> guest   broker pub (65) | iv (12) | wrapped key (32) | tag (16)
    REFUSED    relay -> guest   reason (ASCII)

Binding and wrapping:
    report_data = SHA-384("cvmify-kbs/1" || nonce || pub || disk_root) || 0^16
    kek = HKDF-SHA-384(ikm = ECDH(broker eph, pub).x, salt = nonce,
                       info = "cvmify-kbs/1 disk key" || pub || broker_pub || disk_root, 32)
    wrapped || tag = AES-256-GCM(kek, iv, disk key)
"""

from __future__ import annotations

import hashlib
import os
import socket
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cvmify.errors import AttestationError

HEADER = struct.Struct("<BBHI")
VERSION = 1
MAX_FRAME = 65536
NONCE_SIZE = 32
POINT_SIZE = 65
ROOT_SIZE = 48
KEY_SIZE = 32
IV_SIZE = 12
TAG_SIZE = 16
TDREPORT_SIZE = 1024
BIND_TAG = b"cvmify-kbs/1"
KEK_TAG = b"cvmify-kbs/1 disk key"

HELLO, CHALLENGE, SIM_QUOTE, QUOTE, ATTEST, KEY, REFUSED = range(1, 8)


class ProtocolError(Exception):
    """The other end broke the frame format or the protocol."""


def encode_frame(type_: int, payload: bytes) -> bytes:
    if len(payload) > MAX_FRAME:
        raise ProtocolError(f"frame of {len(payload)} bytes")
    return HEADER.pack(type_, 0, 0, len(payload)) + payload


def _read_exact(sock: socket.socket, size: int) -> bytes:
    out = bytearray()
    while len(out) < size:
        chunk = sock.recv(size - len(out))
        if not chunk:
            raise EOFError("the guest closed the channel")
        out += chunk
    return bytes(out)


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    type_, zero8, zero16, length = HEADER.unpack(_read_exact(sock, HEADER.size))
    if zero8 or zero16 or length > MAX_FRAME:
        raise ProtocolError("bad frame header")
    return type_, _read_exact(sock, length)


def parse_hello(payload: bytes) -> bytes:
    if len(payload) != 4 + ROOT_SIZE or struct.unpack_from("<I", payload)[0] != VERSION:
        raise ProtocolError("bad HELLO")
    return payload[4:]


@dataclass(frozen=True)
class Attest:
    pub: bytes
    quote: bytes
    event_log: bytes


def parse_attest(payload: bytes) -> Attest:
    if len(payload) < POINT_SIZE + 8:
        raise ProtocolError("short ATTEST")
    pub = payload[:POINT_SIZE]
    at = POINT_SIZE
    (n,) = struct.unpack_from("<I", payload, at)
    if n == 0 or at + 4 + n + 4 > len(payload):
        raise ProtocolError("ATTEST quote length out of range")
    quote = payload[at + 4:at + 4 + n]
    at += 4 + n
    (m,) = struct.unpack_from("<I", payload, at)
    if at + 4 + m != len(payload):
        raise ProtocolError("ATTEST event log length out of range")
    return Attest(pub=pub, quote=quote, event_log=payload[at + 4:])


def encode_attest(a: Attest) -> bytes:
    return a.pub + struct.pack("<I", len(a.quote)) + a.quote + struct.pack("<I", len(a.event_log)) + a.event_log


def expected_report_data(nonce: bytes, pub: bytes, disk_root: bytes) -> bytes:
    return hashlib.sha384(BIND_TAG + nonce + pub + disk_root).digest() + bytes(16)


def _kek(shared: bytes, nonce: bytes, pub: bytes, broker_pub: bytes, disk_root: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA384(), length=32, salt=nonce,
                info=KEK_TAG + pub + broker_pub + disk_root).derive(shared)


def public_point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def load_point(data: bytes) -> ec.EllipticCurvePublicKey:
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data)
    except ValueError:
        raise AttestationError("the guest's public key is not a P-256 point") from None


@dataclass(frozen=True)
class WrappedKey:
    broker_pub: bytes
    iv: bytes
    ciphertext: bytes  # 32 bytes
    tag: bytes

    def frame(self) -> bytes:
        return self.broker_pub + self.iv + self.ciphertext + self.tag


def wrap_key(guest_pub: bytes, nonce: bytes, disk_root: bytes, disk_key: bytes) -> WrappedKey:
    """The broker's side: wrap disk_key to the guest's ephemeral key."""
    peer = load_point(guest_pub)
    eph = ec.generate_private_key(ec.SECP256R1())
    broker_pub = public_point(eph.public_key())
    kek = _kek(eph.exchange(ec.ECDH(), peer), nonce, guest_pub, broker_pub, disk_root)
    iv = os.urandom(IV_SIZE)
    sealed = AESGCM(kek).encrypt(iv, disk_key, None)
    return WrappedKey(broker_pub=broker_pub, iv=iv, ciphertext=sealed[:KEY_SIZE], tag=sealed[KEY_SIZE:])


def unwrap_key(priv: ec.EllipticCurvePrivateKey, nonce: bytes, disk_root: bytes, w: WrappedKey) -> bytes:
    """The guest's side, in Python (tests; the kernel does the same)."""
    guest_pub = public_point(priv.public_key())
    kek = _kek(priv.exchange(ec.ECDH(), load_point(w.broker_pub)), nonce, guest_pub, w.broker_pub, disk_root)
    return AESGCM(kek).decrypt(w.iv, w.ciphertext + w.tag, None)
