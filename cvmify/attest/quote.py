"""What a quote says about a TD: the fields the policy looks at.

Real TDX quotes (v4 with TDREPORT 1.0, v5 with 1.5) are parsed by
dcap-qvl; simulated quotes (cvmify/attest/simulated.py) by us. Both give
a `TdQuote`. Parsing proves nothing: only verify (dcap.py, simulated.py)
does.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cvmify.errors import AttestationError

KIND_TDX = "tdx"
KIND_SIMULATED = "simulated"

# TD attributes (TDX module ABI, TDINFO_STRUCT.ATTRIBUTES).
ATTR_DEBUG = 1 << 0
ATTR_SEPT_VE_DISABLE = 1 << 28

# TDREPORT_STRUCT (1024 bytes): REPORTMACSTRUCT at 0 (REPORTDATA at 128),
# TEE_TCB_INFO at 256, TDINFO_STRUCT at 512.
TDREPORT_SIZE = 1024
REPORTDATA_OFFSET = 128
TDINFO_OFFSET = 512
_TDINFO = struct.Struct("<QQ48s48s48s48s48s48s48s48s")


@dataclass(frozen=True)
class TdQuote:
    kind: str  # KIND_TDX or KIND_SIMULATED
    version: int
    td_attributes: int
    xfam: int
    mrtd: bytes
    mrconfigid: bytes
    mrowner: bytes
    mrownerconfig: bytes
    rtmr: tuple[bytes, bytes, bytes, bytes]
    report_data: bytes  # 64 bytes

    @property
    def debug(self) -> bool:
        return bool(self.td_attributes & ATTR_DEBUG)

    @property
    def sept_ve_disable(self) -> bool:
        return bool(self.td_attributes & ATTR_SEPT_VE_DISABLE)

    def to_json(self) -> dict:
        out = {"kind": self.kind, "version": self.version, "td_attributes": f"{self.td_attributes:016x}",
               "xfam": f"{self.xfam:016x}", "mrtd": self.mrtd.hex(), "mrconfigid": self.mrconfigid.hex(),
               "mrowner": self.mrowner.hex(), "mrownerconfig": self.mrownerconfig.hex(),
               "report_data": self.report_data.hex()}
        for i, value in enumerate(self.rtmr):
            out[f"rtmr{i}"] = value.hex()
        return out


def parse_tdreport_tdinfo(report: bytes) -> dict:
    """The TDINFO fields and REPORTDATA of a TDREPORT_STRUCT."""
    if len(report) != TDREPORT_SIZE:
        raise AttestationError(f"TDREPORT is {len(report)} bytes, expected {TDREPORT_SIZE}")
    attrs, xfam, mrtd, cfg, owner, owner_cfg, r0, r1, r2, r3 = _TDINFO.unpack_from(report, TDINFO_OFFSET)
    return {"td_attributes": attrs, "xfam": xfam, "mrtd": mrtd, "mrconfigid": cfg, "mrowner": owner,
            "mrownerconfig": owner_cfg, "rtmr": (r0, r1, r2, r3),
            "report_data": report[REPORTDATA_OFFSET:REPORTDATA_OFFSET + 64]}


def parse_quote(raw: bytes) -> TdQuote:
    """Parse a real TDX quote or a simulated one; AttestationError otherwise."""
    from cvmify.attest import simulated

    if raw.startswith(simulated.MAGIC):
        return simulated.parse(raw).quote
    import dcap_qvl

    try:
        parsed = dcap_qvl.parse_quote(raw)
    except ValueError as e:
        raise AttestationError(f"not a quote: {e}") from None
    if not parsed.is_tdx():
        raise AttestationError("not a TDX quote (an SGX quote?)")
    r = parsed.report
    return TdQuote(
        kind=KIND_TDX,
        version=parsed.header.version,
        td_attributes=int.from_bytes(r.td_attributes, "little"),
        xfam=int.from_bytes(r.xfam, "little"),
        mrtd=bytes(r.mr_td),
        mrconfigid=bytes(r.mr_config_id),
        mrowner=bytes(r.mr_owner),
        mrownerconfig=bytes(r.mr_owner_config),
        rtmr=(bytes(r.rt_mr0), bytes(r.rt_mr1), bytes(r.rt_mr2), bytes(r.rt_mr3)),
        report_data=bytes(r.report_data),
    )
