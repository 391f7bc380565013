"""Simulated TDX quotes, for plain VMs where no TDX module exists.

A simulated quote is marked as such from its first bytes ("CVMSIMQ1")
and is never a valid DCAP quote, so no DCAP verifier accepts it; ours
refuses it unless told `--allow-simulated`. It is signed (ECDSA P-256,
SHA-256) by a local development key that stands in for the quoting
enclave (docs/tdx.md, "Simulated attestation"). It proves nothing about
the host: whoever holds the key, or runs the VM, can make one. It lets
the whole flow (measure, boot, quote, verify, key release) run here.

Layout: "CVMSIMQ1" | u32 version 1 | u32 body size | body | u16 signature
size | DER signature over everything before it. Body: u64 TD attributes,
u64 XFAM, MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG, RTMR0..3 (48 bytes
each), REPORTDATA (64 bytes).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cvmify.attest.quote import ATTR_SEPT_VE_DISABLE, KIND_SIMULATED, TdQuote, parse_tdreport_tdinfo
from cvmify.errors import AttestationError, CvmifyIOError

MAGIC = b"CVMSIMQ1"
VERSION = 1
_HEAD = struct.Struct("<8sII")
_BODY = struct.Struct("<QQ48s48s48s48s48s48s48s48s64s")
MAX_SIGNATURE = 128
# What the simulated TDX module reports: SEPT_VE_DISABLE on, debug off,
# x87 and SSE state.
SIM_ATTRIBUTES = ATTR_SEPT_VE_DISABLE
SIM_XFAM = 0x3
KEY_FILE = "sim-qe-key.pem"


@dataclass(frozen=True)
class SimulatedQuote:
    quote: TdQuote
    signed: bytes
    signature: bytes


def pack_body(q: TdQuote) -> bytes:
    return _BODY.pack(q.td_attributes, q.xfam, q.mrtd, q.mrconfigid, q.mrowner, q.mrownerconfig,
                      *q.rtmr, q.report_data)


def parse(raw: bytes) -> SimulatedQuote:
    if len(raw) < _HEAD.size:
        raise AttestationError("simulated quote: truncated")
    magic, version, size = _HEAD.unpack_from(raw)
    if magic != MAGIC or version != VERSION or size != _BODY.size:
        raise AttestationError("simulated quote: bad magic, version or body size")
    end = _HEAD.size + size
    if len(raw) < end + 2:
        raise AttestationError("simulated quote: truncated")
    (sig_size,) = struct.unpack_from("<H", raw, end)
    if sig_size > MAX_SIGNATURE or len(raw) != end + 2 + sig_size:
        raise AttestationError("simulated quote: bad signature size")
    attrs, xfam, mrtd, cfg, owner, owner_cfg, r0, r1, r2, r3, report_data = _BODY.unpack_from(raw, _HEAD.size)
    quote = TdQuote(kind=KIND_SIMULATED, version=VERSION, td_attributes=attrs, xfam=xfam, mrtd=mrtd,
                    mrconfigid=cfg, mrowner=owner, mrownerconfig=owner_cfg, rtmr=(r0, r1, r2, r3),
                    report_data=report_data)
    return SimulatedQuote(quote=quote, signed=raw[:end + 2], signature=raw[end + 2:])


def sign(quote: TdQuote, key: ec.EllipticCurvePrivateKey) -> bytes:
    body = pack_body(quote)
    signature = key.sign(_HEAD.pack(MAGIC, VERSION, len(body)) + body + struct.pack("<H", 0), ec.ECDSA(hashes.SHA256()))
    # The signature covers the head, the body and a zero size field; the
    # real size goes in afterwards so the signed bytes do not depend on it.
    return _HEAD.pack(MAGIC, VERSION, len(body)) + body + struct.pack("<H", len(signature)) + signature


def verify(raw: bytes, public_key: ec.EllipticCurvePublicKey) -> TdQuote:
    parsed = parse(raw)
    signed = parsed.signed[:-2] + struct.pack("<H", 0)
    try:
        public_key.verify(parsed.signature, signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise AttestationError("simulated quote: signature does not verify with the development key") from None
    return parsed.quote


def quote_from_tdreport(tdreport: bytes, mrtd: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """The simulated quoting enclave: the guest's (simulated) TDREPORT
    gives RTMRs and REPORTDATA; MRTD comes from the td.fd the host booted;
    attributes are the simulated module's."""
    info = parse_tdreport_tdinfo(tdreport)
    quote = TdQuote(kind=KIND_SIMULATED, version=VERSION, td_attributes=SIM_ATTRIBUTES, xfam=SIM_XFAM,
                    mrtd=mrtd, mrconfigid=bytes(48), mrowner=bytes(48), mrownerconfig=bytes(48),
                    rtmr=info["rtmr"], report_data=info["report_data"])
    return sign(quote, key)


def load_or_create_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The development quoting key at `path`, made (0600) on first use."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
        except FileExistsError:  # another process made it first: use theirs
            return load_or_create_key(path)
        except OSError as e:
            raise CvmifyIOError(f"cannot write the simulated quoting key {path}: {e.strerror}") from e
        return key
    except OSError as e:
        raise CvmifyIOError(f"cannot read the simulated quoting key {path}: {e.strerror}") from e
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CvmifyIOError(f"{path}: not an EC private key")
    return key


def load_public_key(path: Path) -> ec.EllipticCurvePublicKey:
    """A PEM public key, or the public half of a PEM private key."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CvmifyIOError(f"cannot read {path}: {e.strerror}") from e
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        key = serialization.load_pem_private_key(data, password=None).public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise CvmifyIOError(f"{path}: not an EC key")
    return key
