"""`cvmify verify`: real TDX quotes (v4, v5) against real collateral, the
policy, simulated quotes, and CCEL event-log replay.

The vectors are real captures in ../shared/tdx-vectors (README there has
the expected results); they are read from that path, never copied. The
reference values for the real quotes are the quotes' own (what an
operator would pin for that TD); the refusals change one thing each.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cvmify.attest import simulated
from cvmify.attest.policy import Evidence, Policy, Reference, evaluate
from cvmify.attest.quote import ATTR_DEBUG, ATTR_SEPT_VE_DISABLE, KIND_SIMULATED, TdQuote, parse_quote
from cvmify.errors import AttestationError, UsageError
from cvmify.tdx import eventlog
from tests.guest import cvmify

VECTORS = Path(__file__).resolve().parent.parent.parent / "shared" / "tdx-vectors"
if not VECTORS.is_dir():
    VECTORS = Path("/work/shared/tdx-vectors")
QUOTES = VECTORS / "quotes"
CCEL = VECTORS / "ccel"
V4 = (QUOTES / "tdx_quote", QUOTES / "tdx_quote_collateral.json", "2025-06-19T11:32:27Z")
V5 = (QUOTES / "quote_v5_sample.dat", QUOTES / "tdx_quote_outdated_collateral.json", "2026-02-18T11:58:51Z")
ROOT_SHA256 = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3"


@pytest.fixture(autouse=True, scope="module")
def vectors_present():
    if not QUOTES.is_dir():
        pytest.fail(f"the TDX test vectors are missing at {VECTORS}", pytrace=False)


def reference_of(quote: Path) -> dict:
    q = parse_quote(quote.read_bytes())
    ref = {"mrtd": q.mrtd.hex(), "mrconfigid": q.mrconfigid.hex()}
    ref.update({f"rtmr{i}": v.hex() for i, v in enumerate(q.rtmr)})
    return ref


def write_json(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data))
    return path


def verify(quote: Path, *args: str):
    return cvmify("verify", str(quote), *args)


@pytest.mark.parametrize("vector,version", [(V4, 4), (V5, 5)])
def test_real_quote_accepted_at_its_time(vector, version, tmp_path):
    quote, collateral, at = vector
    ref = write_json(tmp_path / "ref.json", reference_of(quote))
    out = verify(quote, "--reference", str(ref), "--collateral", str(collateral), "--at", at, "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)["result"]
    assert result["accepted"] and result["kind"] == "tdx" and result["version"] == version
    assert result["tcb_status"] == "UpToDate" and result["advisories"] == []
    report_data = parse_quote(quote.read_bytes()).report_data.hex()
    bound = verify(quote, "--reference", str(ref), "--collateral", str(collateral), "--at", at,
                   "--report-data", report_data)
    assert bound.returncode == 0 and "not bound" not in bound.stderr


def test_intel_root_ca_given_explicitly(tmp_path):
    root = VECTORS / "TrustedRootCA.der"
    assert hashlib.sha256(root.read_bytes()).hexdigest() == ROOT_SHA256
    quote, collateral, at = V4
    ref = write_json(tmp_path / "ref.json", reference_of(quote))
    out = verify(quote, "--reference", str(ref), "--collateral", str(collateral), "--at", at, "--root-ca", str(root))
    assert out.returncode == 0, out.stderr


def flip(data: bytes, offset: int) -> bytes:
    out = bytearray(data)
    out[offset] ^= 0x01
    return bytes(out)


# Offsets inside the signed part of a v4 quote: the header (48 bytes), then
# the TD report: TEE_TCB_SVN at 48, MRTD at 184, RTMR2 at 472, REPORTDATA at 568.
@pytest.mark.parametrize("offset", [2, 48, 184 + 7, 472, 568 + 63])
def test_flipped_byte_refused(offset, tmp_path):
    quote, collateral, at = V4
    ref = write_json(tmp_path / "ref.json", reference_of(quote))
    bad = tmp_path / "bad.quote"
    bad.write_bytes(flip(quote.read_bytes(), offset))
    out = verify(bad, "--reference", str(ref), "--collateral", str(collateral), "--at", at)
    assert out.returncode == 14, out.stderr
    assert out.stderr.startswith("cvmify: error: ") and out.stderr.count("\n") == 1


@pytest.mark.parametrize("vector,at", [
    (V4, "2025-06-19T10:16:02Z"),   # before the TCB info's issueDate
    (V4, "2025-07-19T10:16:04Z"),   # after its nextUpdate
    (V5, "2026-02-18T10:42:14Z"),   # before the QE identity's issueDate
    (V5, "2026-03-21T00:00:00Z"),   # after nextUpdate
])
def test_out_of_window_times_refused(vector, at, tmp_path):
    quote, collateral, _ = vector
    ref = write_json(tmp_path / "ref.json", reference_of(quote))
    out = verify(quote, "--reference", str(ref), "--collateral", str(collateral), "--at", at)
    assert out.returncode == 14 and ("future" in out.stderr or "expired" in out.stderr), out.stderr


@pytest.mark.parametrize("field", ["mrtd", "rtmr0", "rtmr2", "rtmr3", "mrconfigid"])
def test_wrong_measurement_refused(field, tmp_path):
    quote, collateral, at = V4
    ref = reference_of(quote)
    ref[field] = ("11" if ref[field] != "11" * 48 else "22") * 48
    path = write_json(tmp_path / "ref.json", ref)
    out = verify(quote, "--reference", str(path), "--collateral", str(collateral), "--at", at)
    assert out.returncode == 14
    assert field.upper().replace("RTMR", "RTMR") in out.stderr.upper()


def test_wrong_report_data_refused(tmp_path):
    quote, collateral, at = V4
    ref = write_json(tmp_path / "ref.json", reference_of(quote))
    out = verify(quote, "--reference", str(ref), "--collateral", str(collateral), "--at", at,
                 "--report-data", "00" * 64)
    assert out.returncode == 14 and "REPORTDATA" in out.stderr


def test_collateral_is_required_for_real_quotes(tmp_path):
    quote, _, at = V4
    ref = write_json(tmp_path / "ref.json", reference_of(quote))
    out = verify(quote, "--reference", str(ref), "--at", at)
    assert out.returncode == 2 and "--collateral" in out.stderr


def test_collateral_of_another_platform_refused(tmp_path):
    quote, _, at = V4
    ref = write_json(tmp_path / "ref.json", reference_of(quote))
    out = verify(quote, "--reference", str(ref), "--collateral", str(V5[1]), "--at", at)
    assert out.returncode == 14


# -- the TCB status policy (dcap-qvl's status mapped by our policy) ----------


def test_tcb_status_policy(monkeypatch):
    quote, _, _ = V4
    raw = quote.read_bytes()
    q = parse_quote(raw)
    policy_ref = Reference(mrtd=(q.mrtd,), rtmr=q.rtmr, mrconfigid=q.mrconfigid)
    from cvmify.attest import dcap

    monkeypatch.setattr(dcap, "verify_dcap", lambda *a, **k: dcap.DcapResult("OutOfDate", ("INTEL-SA-00837",)))
    evidence = Evidence(now=0, collateral=object())
    with pytest.raises(AttestationError, match="TCB status OutOfDate is not accepted"):
        evaluate(raw, Policy(reference=policy_ref), evidence)
    verdict = evaluate(raw, Policy(reference=policy_ref, accepted_tcb=frozenset({"UpToDate", "OutOfDate"})), evidence)
    assert verdict.tcb_status == "OutOfDate" and verdict.advisories == ("INTEL-SA-00837",)
    with pytest.raises(UsageError, match="Revoked"):
        Policy(reference=policy_ref, accepted_tcb=frozenset({"Revoked"}))


# -- simulated quotes -----------------------------------------------------------


def sim_quote(key, attributes=ATTR_SEPT_VE_DISABLE, rtmr3=bytes(48)) -> tuple[bytes, dict]:
    q = TdQuote(kind=KIND_SIMULATED, version=1, td_attributes=attributes, xfam=3, mrtd=b"\x01" * 48,
                mrconfigid=bytes(48), mrowner=bytes(48), mrownerconfig=bytes(48),
                rtmr=(bytes(48), bytes(48), b"\x02" * 48, rtmr3), report_data=b"\x03" * 64)
    ref = {"mrtd": q.mrtd.hex(), "rtmr0": "00" * 48, "rtmr1": "00" * 48, "rtmr2": "02" * 48, "rtmr3": "00" * 48}
    return simulated.sign(q, key), ref


@pytest.fixture
def dev_key(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "sim.pem"
    path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    return key, path


def test_simulated_quote_needs_allow_simulated(dev_key, tmp_path):
    key, pub = dev_key
    raw, ref = sim_quote(key)
    (tmp_path / "q").write_bytes(raw)
    path = write_json(tmp_path / "ref.json", ref)
    refused = verify(tmp_path / "q", "--reference", str(path), "--sim-key", str(pub))
    assert refused.returncode == 14 and "SIMULATED" in refused.stderr
    accepted = verify(tmp_path / "q", "--reference", str(path), "--sim-key", str(pub), "--allow-simulated",
                      "--report-data", "03" * 64)
    assert accepted.returncode == 0, accepted.stderr
    assert "SIMULATED quote accepted" in accepted.stderr


def test_simulated_quote_signature_and_attributes(dev_key, tmp_path):
    key, pub = dev_key
    raw, ref = sim_quote(key)
    path = write_json(tmp_path / "ref.json", ref)
    other = ec.generate_private_key(ec.SECP256R1())
    forged, _ = sim_quote(other)
    for name, data, reason in (
        ("forged", forged, "signature"),
        ("flipped", flip(raw, 40), "signature"),
        ("debug", sim_quote(key, ATTR_DEBUG | ATTR_SEPT_VE_DISABLE)[0], "DEBUG"),
        ("ve", sim_quote(key, 0)[0], "SEPT_VE_DISABLE"),
    ):
        (tmp_path / name).write_bytes(data)
        out = verify(tmp_path / name, "--reference", str(path), "--sim-key", str(pub), "--allow-simulated")
        assert out.returncode == 14 and reason in out.stderr, (name, out.stderr)


def test_simulated_quote_format_is_strict(dev_key):
    key, _ = dev_key
    raw, _ = sim_quote(key)
    for bad in (raw[:-1], raw + b"\0", raw[:20], b"CVMSIMQ1" + struct.pack("<II", 2, 464) + raw[16:]):
        with pytest.raises(AttestationError):
            simulated.parse(bad)


# -- event logs -------------------------------------------------------------------


def test_real_ccel_log_replays_to_the_quote():
    table = (CCEL / "ccel_table.dat").read_bytes()
    data = (CCEL / "ccel_data.dat").read_bytes()
    laml, lasa = eventlog.ccel_log_area(table)
    assert laml == len(data) and lasa != 0
    events = eventlog.parse_event_log(data)
    quote = parse_quote((CCEL / "cos-113-tdx-quote.dat").read_bytes())
    assert eventlog.replay(events) == quote.rtmr
    assert any(e.type == eventlog.EV_NO_ACTION for e in events) or len(events) > 10


def test_tampered_ccel_log_does_not_replay():
    data = bytearray((CCEL / "ccel_data.dat").read_bytes())
    quote = parse_quote((CCEL / "cos-113-tdx-quote.dat").read_bytes())
    (spec_size,) = struct.unpack_from("<I", data, 28)
    first_digest = 32 + spec_size + 14  # index, type, count, algorithm id
    data[first_digest] ^= 0xFF
    events = eventlog.parse_event_log(bytes(data))
    assert len(events) == len(eventlog.parse_event_log((CCEL / "ccel_data.dat").read_bytes()))
    assert eventlog.replay(events) != quote.rtmr


@pytest.mark.parametrize("cut", [10, 40, 200])
def test_truncated_or_garbled_logs_refused(cut):
    data = (CCEL / "ccel_data.dat").read_bytes()
    with pytest.raises(AttestationError):
        eventlog.parse_event_log(data[:cut])
    garbled = bytearray(data)
    garbled[0x20] ^= 0xFF  # the Spec ID signature
    with pytest.raises(AttestationError, match="Spec ID"):
        eventlog.parse_event_log(bytes(garbled))


def test_huge_event_size_refused():
    log = eventlog.spec_id_event() + struct.pack("<IIIH", 3, 0xD, 1, 0x000C) + bytes(48) + struct.pack("<I", 1 << 30)
    with pytest.raises(AttestationError, match="claims"):
        eventlog.parse_event_log(log)


def test_verify_replays_the_event_log(dev_key, tmp_path):
    key, pub = dev_key
    digest = hashlib.sha384(b"config").digest()
    log = eventlog.spec_id_event() + eventlog.event_bytes(3, 0xD, digest, b"cvmify:config")
    rtmr2 = hashlib.sha384(bytes(48) + digest).digest()
    q = TdQuote(kind=KIND_SIMULATED, version=1, td_attributes=ATTR_SEPT_VE_DISABLE, xfam=3, mrtd=b"\x01" * 48,
                mrconfigid=bytes(48), mrowner=bytes(48), mrownerconfig=bytes(48),
                rtmr=(bytes(48), bytes(48), rtmr2, bytes(48)), report_data=bytes(64))
    (tmp_path / "q").write_bytes(simulated.sign(q, key))
    (tmp_path / "log").write_bytes(log)
    ref = write_json(tmp_path / "ref.json", {"mrtd": "01" * 48, "rtmr0": "00" * 48, "rtmr1": "00" * 48,
                                              "rtmr2": rtmr2.hex(), "rtmr3": "00" * 48})
    args = ("--reference", str(ref), "--sim-key", str(pub), "--allow-simulated", "--event-log")
    ok = verify(tmp_path / "q", *args, str(tmp_path / "log"))
    assert ok.returncode == 0 and "1 events, replay matches" in ok.stdout, ok.stderr
    (tmp_path / "log2").write_bytes(log + eventlog.event_bytes(4, 0xD, digest, b"extra"))
    bad = verify(tmp_path / "q", *args, str(tmp_path / "log2"))
    assert bad.returncode == 14 and "does not replay" in bad.stderr


# -- against a bundle's own td.fd -------------------------------------------------


def tdreport(rtmrs, report_data: bytes) -> bytes:
    report = bytearray(1024)
    report[128:192] = report_data
    for i, value in enumerate(rtmrs):
        report[720 + 48 * i:768 + 48 * i] = value
    return bytes(report)


def test_simulated_quote_against_bundles(busybox_image, kernel, tmp_path, dev_key):
    from tests.guest import build_bundle, program

    key, pub = dev_key
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    good = build_bundle(busybox_image, kernel, tmp_path / "a", program("/bin/true"))
    other = build_bundle(busybox_image, kernel, tmp_path / "b", program("/bin/echo", "hi"))
    measured = json.loads(cvmify("measure", str(good), "--json").stdout)["result"]["measurements"]["tdx"]
    rtmrs = [bytes.fromhex(measured[f"rtmr{i}"]) for i in range(4)]
    raw = simulated.quote_from_tdreport(tdreport(rtmrs, b"\x07" * 64), bytes.fromhex(measured["mrtd"]), key)
    (tmp_path / "q").write_bytes(raw)
    args = ("--sim-key", str(pub), "--allow-simulated", "--report-data", "07" * 64)
    assert verify(tmp_path / "q", "--bundle", str(good), *args).returncode == 0
    refused = verify(tmp_path / "q", "--bundle", str(other), *args)
    assert refused.returncode == 14 and "MRTD" in refused.stderr and "RTMR2" in refused.stderr
    two_pass = verify(tmp_path / "q", "--bundle", str(good), "--mrtd-order", "two-pass", *args)
    assert two_pass.returncode == 14 and "MRTD" in two_pass.stderr
