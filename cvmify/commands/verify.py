"""`cvmify verify QUOTE (--bundle B | --reference R.json)`: accept or refuse a quote.

The DCAP chain first (dcap-qvl, with collateral), then our policy
(cvmify/attest/policy.py) against the bundle's expected measurements,
recomputed from its td.fd and config.bin (measurements.json is not
trusted), and, with --event-log, the replay of a CCEL/TCG2 log against
the quote's RTMRs. Refusals raise AttestationError (exit 14).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cvmify.errors import BadBundleError, CvmifyIOError, UsageError


@dataclass
class VerifyOptions:
    bundle: Path | None = None
    reference: Path | None = None
    collateral: Path | None = None
    root_ca: Path | None = None
    at: str | None = None  # ISO 8601 (UTC if no zone) or Unix seconds; None: now
    report_data: str | None = None  # hex, up to 64 bytes, zero padded
    event_log: Path | None = None
    accept_tcb: list[str] = field(default_factory=list)
    allow_simulated: bool = False
    sim_key: Path | None = None
    mrtd_order: str = "single"


@dataclass
class VerifyResult:
    quote: Path
    verdict: Any  # cvmify.attest.policy.Verdict
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        v = self.verdict
        return {
            "quote": str(self.quote),
            "accepted": True,
            "kind": v.quote.kind,
            "version": v.quote.version,
            "tcb_status": v.tcb_status,
            "advisories": list(v.advisories),
            "measurements": v.quote.to_json(),
            "event_log": None if v.event_count is None else {"events": v.event_count},
        }

    def text_lines(self) -> list[str]:
        v = self.verdict
        q = v.quote
        lines = [
            f"quote:      {self.quote} ({q.kind}, version {q.version})",
            f"tcb:        {v.tcb_status}" + (f" (advisories: {', '.join(v.advisories)})" if v.advisories else ""),
            f"mrtd:       {q.mrtd.hex()}",
        ]
        lines += [f"rtmr{i}:      {value.hex()}" for i, value in enumerate(q.rtmr)]
        if v.event_count is not None:
            lines.append(f"event log:  {v.event_count} events, replay matches RTMR0-3")
        lines.append("verdict:    ACCEPTED")
        return lines


def parse_time(text: str | None) -> int:
    if text is None:
        return int(time.time())
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--at {text!r}: expected ISO 8601 (2025-06-19T11:32:27Z) or Unix seconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def parse_report_data(text: str | None) -> bytes | None:
    if text is None:
        return None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise UsageError("--report-data: not hex") from None
    if len(raw) > 64:
        raise UsageError("--report-data: at most 64 bytes")
    return raw.ljust(64, b"\0")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise CvmifyIOError(f"cannot read {path}: {e.strerror}") from e


def bundle_reference(path: Path, order: str):
    """The bundle's expected TDX measurements, from td.fd and config.bin."""
    from cvmify.attest.policy import Reference
    from cvmify.bundle import load_bundle
    from cvmify.manifest.bootconfig import parse_boot_config
    from cvmify.tdx.measurements import compute_tdx_measurements
    from cvmify.tdx.tdvf import TD_FD_NAME, config_of, read_td_fd

    bundle = load_bundle(path)
    if not bundle.has_td_fd:
        raise BadBundleError(f"{path}: no td.fd; it cannot run as a TD")
    image = read_td_fd(bundle.file(TD_FD_NAME))
    config = config_of(image)
    if config != bundle.file("config.bin").read_bytes():
        raise BadBundleError(f"{path}: td.fd's config differs from config.bin")
    disk_root = parse_boot_config(config).disk_root
    return Reference.from_tdx(compute_tdx_measurements(image, config, disk_root), order)


def load_reference(opts: VerifyOptions):
    from cvmify.attest.policy import Reference

    if (opts.bundle is None) == (opts.reference is None):
        raise UsageError("give exactly one of --bundle and --reference")
    if opts.bundle is not None:
        return bundle_reference(opts.bundle, opts.mrtd_order)
    try:
        return Reference.from_json(json.loads(_read(opts.reference)))
    except json.JSONDecodeError as e:
        raise UsageError(f"{opts.reference}: not JSON ({e})") from None


def verify_quote(quote_path: Path, opts: VerifyOptions, default_sim_key: Path) -> VerifyResult:
    from cvmify.attest.dcap import load_collateral
    from cvmify.attest.policy import Evidence, Policy, evaluate
    from cvmify.attest.simulated import load_public_key
    from cvmify.tdx.mrtd import ORDERS

    if opts.mrtd_order not in ORDERS:
        raise UsageError(f"--mrtd-order {opts.mrtd_order!r}: expected one of {', '.join(ORDERS)}")
    policy = Policy(
        reference=load_reference(opts),
        accepted_tcb=frozenset({"UpToDate", *opts.accept_tcb}),
        report_data=parse_report_data(opts.report_data),
        allow_simulated=opts.allow_simulated,
    )
    sim_key_path = opts.sim_key or default_sim_key
    evidence = Evidence(
        now=parse_time(opts.at),
        collateral=load_collateral(opts.collateral) if opts.collateral else None,
        root_ca_der=_read(opts.root_ca) if opts.root_ca else None,
        sim_public_key=load_public_key(sim_key_path) if opts.allow_simulated and sim_key_path.is_file() else None,
    )
    event_log = _read(opts.event_log) if opts.event_log else None
    verdict = evaluate(_read(quote_path), policy, evidence, event_log)
    return VerifyResult(quote=quote_path, verdict=verdict, warnings=list(verdict.warnings))
