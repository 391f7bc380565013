"""The key broker and the key-release protocol, in process: a real HTTP
server on a free port, the relay's real client, simulated quotes signed
with a test key. Each refusal changes one thing."""

from __future__ import annotations

import hashlib
import struct
import threading

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cvmify.attest import simulated
from cvmify.attest.policy import Reference
from cvmify.attest.quote import ATTR_SEPT_VE_DISABLE, KIND_SIMULATED, TdQuote
from cvmify.kbs import protocol
from cvmify.kbs.broker import Broker, BrokerConfig, Resource, make_server
from cvmify.kbs.client import BrokerRefused, KbsClient
from cvmify.tdx import eventlog

ROOT = hashlib.sha384(b"disk").digest()
DISK_KEY = bytes(range(32))
MRTD = b"\x11" * 48
CONFIG_DIGEST = hashlib.sha384(b"config").digest()
RTMR2 = hashlib.sha384(hashlib.sha384(bytes(48) + CONFIG_DIGEST).digest() + ROOT).digest()
LOG = (eventlog.spec_id_event() + eventlog.event_bytes(3, 0xD, CONFIG_DIGEST, b"cvmify:config")
       + eventlog.event_bytes(3, 0xD, ROOT, b"cvmify:disk-root"))


@pytest.fixture
def qe_key(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "qe.pem"
    path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    return key, path


@pytest.fixture
def broker_url(qe_key):
    _, path = qe_key
    reference = Reference(mrtd=(MRTD,), rtmr=(bytes(48), bytes(48), RTMR2, bytes(48)))
    broker = Broker(resources={ROOT: Resource(ROOT, DISK_KEY, reference, "test")},
                    config=BrokerConfig(allow_simulated=True, sim_key=path))
    server = make_server(broker, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def guest_quote(qe, nonce, pub, root=ROOT, mrtd=MRTD, rtmr2=RTMR2) -> bytes:
    q = TdQuote(kind=KIND_SIMULATED, version=1, td_attributes=ATTR_SEPT_VE_DISABLE, xfam=3, mrtd=mrtd,
                mrconfigid=bytes(48), mrowner=bytes(48), mrownerconfig=bytes(48),
                rtmr=(bytes(48), bytes(48), rtmr2, bytes(48)),
                report_data=protocol.expected_report_data(nonce, pub, root))
    return simulated.sign(q, qe)


def release(url, qe, **changes):
    """One key release as the guest and relay do it; returns the disk key."""
    client = KbsClient(url)
    nonce = client.auth()
    priv = ec.generate_private_key(ec.SECP256R1())
    pub = protocol.public_point(priv.public_key())
    quote = guest_quote(qe, changes.pop("quote_nonce", nonce), pub, **changes.pop("quote", {}))
    client.attest(protocol.Attest(pub=pub, quote=quote, event_log=changes.pop("log", LOG)),
                  changes.pop("root", ROOT))
    return protocol.unwrap_key(priv, nonce, ROOT, client.disk_key(ROOT))


def test_key_release_round_trip(broker_url, qe_key):
    assert release(broker_url, qe_key[0]) == DISK_KEY


@pytest.mark.parametrize("changes,reason", [
    ({"quote_nonce": b"\x00" * 32}, "REPORTDATA"),
    ({"quote": {"mrtd": b"\x12" * 48}}, "MRTD"),
    ({"quote": {"rtmr2": bytes(48)}}, "RTMR2"),
    ({"log": LOG[:-100]}, "event log"),
    ({"log": LOG + eventlog.event_bytes(4, 0xD, ROOT, b"x")}, "replay"),
    ({"root": b"\x01" * 48}, "no key for this disk root"),
])
def test_refusals(broker_url, qe_key, changes, reason):
    with pytest.raises(BrokerRefused, match=reason):
        release(broker_url, qe_key[0], **changes)


def test_quote_from_another_quoting_key(broker_url):
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(BrokerRefused, match="signature"):
        release(broker_url, other)


def test_session_rules(broker_url, qe_key):
    client = KbsClient(broker_url)
    with pytest.raises(BrokerRefused, match="session"):
        client.disk_key(ROOT)  # no session at all
    nonce = client.auth()
    priv = ec.generate_private_key(ec.SECP256R1())
    pub = protocol.public_point(priv.public_key())
    with pytest.raises(BrokerRefused, match="not attested"):
        client.disk_key(ROOT)
    quote = guest_quote(qe_key[0], nonce, pub)
    client.attest(protocol.Attest(pub, quote, LOG), ROOT)
    with pytest.raises(BrokerRefused, match="already used"):
        client.attest(protocol.Attest(pub, quote, LOG), ROOT)  # the nonce is single use
    assert protocol.unwrap_key(priv, nonce, ROOT, client.disk_key(ROOT)) == DISK_KEY
    with pytest.raises(BrokerRefused, match="session"):
        client.disk_key(ROOT)  # one key per attestation


def test_bad_requests(broker_url):
    import requests

    r = requests.post(f"{broker_url}/kbs/v0/auth", json={"version": "0.1.0", "tee": "snp"})
    assert r.status_code == 401 and "tdx only" in r.json()["detail"]
    client = KbsClient(broker_url)
    client.auth()
    bad_point = b"\x04" + b"\x01" * 64
    with pytest.raises(BrokerRefused, match="P-256"):
        client.attest(protocol.Attest(bad_point, b"q", b""), ROOT)
    assert requests.get(f"{broker_url}/kbs/v0/nothing").status_code == 404


def test_wrapped_key_is_bound():
    priv = ec.generate_private_key(ec.SECP256R1())
    pub = protocol.public_point(priv.public_key())
    nonce = b"\x05" * 32
    wrapped = protocol.wrap_key(pub, nonce, ROOT, DISK_KEY)
    assert protocol.unwrap_key(priv, nonce, ROOT, wrapped) == DISK_KEY
    for args in ((priv, b"\x06" * 32, ROOT), (priv, nonce, b"\x07" * 48),
                 (ec.generate_private_key(ec.SECP256R1()), nonce, ROOT)):
        with pytest.raises(InvalidTag):
            protocol.unwrap_key(*args, wrapped)


def test_frame_parsers_refuse_bad_lengths():
    pub = b"\x04" + b"\x02" * 64
    good = protocol.encode_attest(protocol.Attest(pub, b"quote", b"log"))
    assert protocol.parse_attest(good) == protocol.Attest(pub, b"quote", b"log")
    for bad in (good[:-1], good + b"x", good[:70], pub + struct.pack("<I", 0) + struct.pack("<I", 0),
                pub + struct.pack("<I", 1 << 30) + b"q" + struct.pack("<I", 0)):
        with pytest.raises(protocol.ProtocolError):
            protocol.parse_attest(bad)
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_hello(struct.pack("<I", 2) + ROOT)
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_hello(struct.pack("<I", 1) + ROOT[:-1])
