"""The verification policy: what a quote must show to be accepted.

In order (docs/tdx.md, "Verification policy"):
1. the quote is genuine: a real TDX quote passes dcap-qvl (signature,
   QE report, PCK chain to Intel's root, CRLs, TCB info and QE identity
   within their validity windows at the verification time); a simulated
   quote is refused unless `allow_simulated`, and then must carry the
   development key's signature;
2. TCB status: "UpToDate" is accepted; any other status only if listed in
   `accepted_tcb` (e.g. "SWHardeningNeeded"); "Revoked" never;
3. TD attributes: DEBUG off, SEPT_VE_DISABLE on (a TD that may take #VE
   on unaccepted private memory can be attacked by the host's page
   removals);
4. measurements: MRTD, RTMR0-3 and MRCONFIGID equal the reference (the
   bundle's, recomputed from td.fd and config.bin, or given values);
5. REPORTDATA equals the session's expected value when one is given (the
   key broker always gives one: the hash binding its nonce and the
   guest's ephemeral key);
6. an event log, when given, replays to the quote's RTMRs.
All failures are collected and reported together; any failure refuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cvmify.attest.quote import KIND_SIMULATED, TdQuote, parse_quote
from cvmify.errors import AttestationError, UsageError

STATUS_UP_TO_DATE = "UpToDate"
STATUS_SIMULATED = "Simulated"
NEVER_ACCEPTED = frozenset({"Revoked"})
KNOWN_STATUSES = frozenset({
    "UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
    "OutOfDate", "OutOfDateConfigurationNeeded", "Revoked",
})


@dataclass(frozen=True)
class Reference:
    """Expected measurements. Several MRTDs may be listed (page orders)."""

    mrtd: tuple[bytes, ...]
    rtmr: tuple[bytes, bytes, bytes, bytes]
    mrconfigid: bytes = bytes(48)

    @classmethod
    def from_tdx(cls, tdx, order: str = "single") -> "Reference":
        """From TdxMeasurements (cvmify/tdx/measurements.py)."""
        return cls(mrtd=(tdx.mrtd_for(order),), rtmr=tdx.rtmr, mrconfigid=tdx.mrconfigid)

    @classmethod
    def from_json(cls, data: object) -> "Reference":
        """{"mrtd": hex or [hex...], "rtmr0".."rtmr3": hex, "mrconfigid": hex (optional)}."""
        if not isinstance(data, dict):
            raise UsageError("reference values: expected a JSON object")

        def digest(text: object, name: str) -> bytes:
            try:
                value = bytes.fromhex(text) if isinstance(text, str) else b""
            except ValueError:
                value = b""
            if len(value) != 48:
                raise UsageError(f"reference values: {name} is not 96 hex digits")
            return value

        mrtds = data.get("mrtd")
        mrtds = mrtds if isinstance(mrtds, list) else [mrtds]
        return cls(
            mrtd=tuple(digest(m, "mrtd") for m in mrtds),
            rtmr=tuple(digest(data.get(f"rtmr{i}"), f"rtmr{i}") for i in range(4)),  # type: ignore[arg-type]
            mrconfigid=digest(data.get("mrconfigid", "00" * 48), "mrconfigid"),
        )


@dataclass(frozen=True)
class Policy:
    reference: Reference
    accepted_tcb: frozenset[str] = frozenset({STATUS_UP_TO_DATE})
    report_data: bytes | None = None  # 64 bytes, or None: not checked
    allow_simulated: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.accepted_tcb) - KNOWN_STATUSES
        if unknown:
            raise UsageError(f"unknown TCB status {', '.join(sorted(unknown))}; known: {', '.join(sorted(KNOWN_STATUSES))}")
        if set(self.accepted_tcb) & NEVER_ACCEPTED:
            raise UsageError("a Revoked TCB is never accepted")
        if self.report_data is not None and len(self.report_data) != 64:
            raise UsageError("expected report data must be 64 bytes")


@dataclass(frozen=True)
class Verdict:
    quote: TdQuote
    tcb_status: str
    advisories: tuple[str, ...]
    event_count: int | None = None  # events replayed, when a log was given
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Evidence:
    """How to check the quote's genuineness: collateral for real quotes,
    the development public key for simulated ones."""

    now: int
    collateral: object = None  # dcap_qvl.QuoteCollateralV3
    root_ca_der: bytes | None = None
    sim_public_key: object = None  # cryptography EllipticCurvePublicKey


def _genuine(raw: bytes, quote: TdQuote, policy: Policy, evidence: Evidence) -> tuple[str, tuple[str, ...]]:
    if quote.kind == KIND_SIMULATED:
        if not policy.allow_simulated:
            raise AttestationError("quote refused: it is a SIMULATED quote (no TDX hardware); "
                                   "only --allow-simulated accepts it, for development")
        if evidence.sim_public_key is None:
            raise AttestationError("quote refused: no development key to check the simulated quote with")
        from cvmify.attest.simulated import verify

        verify(raw, evidence.sim_public_key)
        return STATUS_SIMULATED, ()
    if evidence.collateral is None:
        raise UsageError("a TDX quote needs its collateral (--collateral)")
    from cvmify.attest.dcap import verify_dcap

    result = verify_dcap(raw, evidence.collateral, evidence.now, evidence.root_ca_der)
    return result.tcb_status, result.advisories


def check_measurements(quote: TdQuote, policy: Policy) -> list[str]:
    failures = []
    if quote.debug:
        failures.append("the TD is a DEBUG TD")
    if not quote.sept_ve_disable:
        failures.append("SEPT_VE_DISABLE is off")
    ref = policy.reference
    if quote.mrtd not in ref.mrtd:
        failures.append(f"MRTD {quote.mrtd.hex()[:16]}... is not the expected {ref.mrtd[0].hex()[:16]}...")
    for i, (got, want) in enumerate(zip(quote.rtmr, ref.rtmr)):
        if got != want:
            failures.append(f"RTMR{i} {got.hex()[:16]}... is not the expected {want.hex()[:16]}...")
    if quote.mrconfigid != ref.mrconfigid:
        failures.append("MRCONFIGID differs")
    if policy.report_data is not None and quote.report_data != policy.report_data:
        failures.append("REPORTDATA is not bound to this session")
    return failures


def evaluate(raw: bytes, policy: Policy, evidence: Evidence, event_log: bytes | None = None) -> Verdict:
    """Accept the quote or raise AttestationError naming every failure."""
    quote = parse_quote(raw)
    status, advisories = _genuine(raw, quote, policy, evidence)
    failures = []
    if status != STATUS_SIMULATED and status not in policy.accepted_tcb:
        failures.append(f"TCB status {status} is not accepted (accepted: {', '.join(sorted(policy.accepted_tcb))})")
    failures += check_measurements(quote, policy)
    count = None
    if event_log is not None:
        from cvmify.tdx.eventlog import parse_event_log, replay

        events = parse_event_log(event_log)
        count = len(events)
        if replay(events) != quote.rtmr:
            failures.append("the event log does not replay to the quote's RTMRs")
    if failures:
        raise AttestationError("quote refused: " + "; ".join(failures))
    warnings = [] if policy.report_data is not None else ["report data not checked: not bound to a session"]
    if status == STATUS_SIMULATED:
        warnings.append("SIMULATED quote accepted (--allow-simulated): it proves nothing about the host")
    return Verdict(quote=quote, tcb_status=status, advisories=advisories, event_count=count, warnings=warnings)
