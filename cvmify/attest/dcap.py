"""The DCAP chain of a real TDX quote, checked by dcap-qvl (PyPI).

dcap-qvl verifies the quote's signature, the QE report, the PCK
certificate chain up to Intel's root CA, the CRLs, the TCB info and QE
identity signatures and their validity windows at the given time, and
returns the TCB status and advisories. It accepts v4 and v5 quotes. We
only map its answer: an exception is a refusal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cvmify.errors import AttestationError, CvmifyIOError, UsageError


@dataclass(frozen=True)
class DcapResult:
    tcb_status: str  # e.g. "UpToDate", "SWHardeningNeeded", "OutOfDate"
    advisories: tuple[str, ...]


def load_collateral(path: Path):
    """Collateral JSON as dcap-qvl writes it (QuoteCollateralV3.to_json)."""
    import dcap_qvl

    try:
        text = path.read_text()
    except OSError as e:
        raise CvmifyIOError(f"cannot read {path}: {e.strerror}") from e
    try:
        json.loads(text)
        return dcap_qvl.QuoteCollateralV3.from_json(text)
    except ValueError as e:
        raise UsageError(f"{path}: not DCAP collateral JSON: {e}") from None


def verify_dcap(raw: bytes, collateral, now: int, root_ca_der: bytes | None = None) -> DcapResult:
    import dcap_qvl

    try:
        if root_ca_der is None:
            report = dcap_qvl.verify(raw, collateral, now)
        else:
            report = dcap_qvl.verify_with_root_ca(raw, collateral, root_ca_der, now)
    except ValueError as e:
        raise AttestationError(f"quote refused: {e}") from None
    return DcapResult(tcb_status=report.status, advisories=tuple(report.advisory_ids))
