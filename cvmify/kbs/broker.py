"""`cvmify kbs serve`: a small key broker for development and CI.

It speaks the shape of the Confidential Containers Trustee KBS protocol
(HTTP, JSON; request, challenge, attestation, response):

    POST /kbs/v0/auth      {"version": "0.1.0", "tee": "tdx", "extra-params": ""}
                        -> {"nonce": base64, "extra-params": ""}, cookie kbs-session-id
    POST /kbs/v0/attest    {"tee-pubkey": {"kty": "EC", "crv": "P-256", "alg": ..., "x", "y"},
                            "tee-evidence": JSON text {"quote", "cc_eventlog": base64, "disk_root": hex}}
                        -> {"token": ...} once the quote passed the policy
    GET  /kbs/v0/resource/cvmify/disk-key/<disk root hex>
                        -> {"protected": base64url(header with "epk"), "encrypted_key": "",
                            "iv", "ciphertext", "tag": base64url}

What differs from Trustee (docs/tdx.md): the evidence is cvmify's (the
quote, the CCEL-style log and the disk root), REPORTDATA binds the nonce,
the TEE key and the disk root with cvmify's own hash, and the key is
wrapped with cvmify's ECDH + HKDF + AES-GCM (cvmify/kbs/protocol.py), not
a standard JWE algorithm. Never tested against a real Trustee.

Policy per resource: the bundle's expected measurements (recomputed from
td.fd and config.bin), REPORTDATA bound to this session, and everything
else cvmify/attest/policy.py checks. A nonce is used once; sessions
expire after SESSION_SECONDS.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from cvmify.attest.policy import Evidence, Policy, Reference, evaluate
from cvmify.errors import AttestationError, CvmifyError
from cvmify.kbs import protocol

log = logging.getLogger(__name__)

SESSION_SECONDS = 300
MAX_BODY = 1 << 20
COOKIE = "kbs-session-id"
RESOURCE_PREFIX = "/kbs/v0/resource/cvmify/disk-key/"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwk_of_point(point: bytes) -> dict[str, str]:
    return {"kty": "EC", "crv": "P-256", "alg": "ECDH-ES+cvmify-kbs/1",
            "x": b64url(point[1:33]), "y": b64url(point[33:65])}


def point_of_jwk(jwk: object) -> bytes:
    if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise AttestationError("tee-pubkey is not a P-256 EC key")
    try:
        x, y = unb64url(jwk["x"]), unb64url(jwk["y"])
    except (KeyError, TypeError, ValueError):
        raise AttestationError("tee-pubkey has no valid x and y") from None
    if len(x) != 32 or len(y) != 32:
        raise AttestationError("tee-pubkey coordinates are not 32 bytes")
    point = b"\x04" + x + y
    protocol.load_point(point)  # on the curve
    return point


@dataclass(frozen=True)
class Resource:
    disk_root: bytes
    key: bytes
    reference: Reference
    name: str  # the bundle, for the log


@dataclass
class Session:
    nonce: bytes
    created: float
    attested: bool = False
    pub: bytes = b""
    disk_root: bytes = b""


@dataclass
class BrokerConfig:
    accepted_tcb: frozenset[str] = frozenset({"UpToDate"})
    allow_simulated: bool = False
    sim_key: Path | None = None  # development public key (simulated quotes)
    collateral: Any = None  # dcap_qvl.QuoteCollateralV3 for real quotes
    root_ca_der: bytes | None = None
    clock: Callable[[], float] = time.time


@dataclass
class Broker:
    resources: dict[bytes, Resource]
    config: BrokerConfig = field(default_factory=BrokerConfig)
    sessions: dict[str, Session] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _session(self, sid: str | None) -> Session:
        with self.lock:
            now = self.config.clock()
            for key in [k for k, s in self.sessions.items() if now - s.created > SESSION_SECONDS]:
                del self.sessions[key]
            session = self.sessions.get(sid or "")
        if session is None:
            raise AttestationError("no such session (expired, or /auth was not called)")
        return session

    def auth(self, body: dict) -> tuple[str, dict]:
        if body.get("tee") != "tdx":
            raise AttestationError(f"tee {body.get('tee')!r} is not supported (tdx only)")
        sid = secrets.token_urlsafe(24)
        session = Session(nonce=secrets.token_bytes(protocol.NONCE_SIZE), created=self.config.clock())
        with self.lock:
            self.sessions[sid] = session
        return sid, {"nonce": b64(session.nonce), "extra-params": ""}

    def attest(self, sid: str | None, body: dict) -> dict:
        session = self._session(sid)
        if session.attested or not session.nonce:
            raise AttestationError("this session's nonce was already used")
        nonce, session.nonce = session.nonce, b""  # once, whatever happens next
        pub = point_of_jwk(body.get("tee-pubkey"))
        try:
            evidence = json.loads(body.get("tee-evidence", ""))
            quote = base64.b64decode(evidence["quote"], validate=True)
            event_log = base64.b64decode(evidence.get("cc_eventlog", ""), validate=True)
            disk_root = bytes.fromhex(evidence["disk_root"])
        except (TypeError, ValueError, KeyError):
            raise AttestationError("tee-evidence is not cvmify evidence") from None
        resource = self.resources.get(disk_root)
        if resource is None:
            raise AttestationError("no key for this disk root")
        policy = Policy(reference=resource.reference, accepted_tcb=self.config.accepted_tcb,
                        report_data=protocol.expected_report_data(nonce, pub, disk_root),
                        allow_simulated=self.config.allow_simulated)
        sim_key = None
        if self.config.allow_simulated and self.config.sim_key is not None and self.config.sim_key.is_file():
            from cvmify.attest.simulated import load_public_key

            sim_key = load_public_key(self.config.sim_key)
        verdict = evaluate(quote, policy, Evidence(now=int(self.config.clock()), collateral=self.config.collateral,
                                                   root_ca_der=self.config.root_ca_der, sim_public_key=sim_key),
                           event_log or None)
        session.attested, session.pub, session.disk_root = True, pub, disk_root
        session.nonce = nonce  # kept for the key wrapping of this session only
        log.info("kbs: %s attested (%s, TCB %s)", resource.name, verdict.quote.kind, verdict.tcb_status)
        return {"token": secrets.token_urlsafe(24)}

    def resource(self, sid: str | None, path: str) -> dict:
        session = self._session(sid)
        if not session.attested:
            raise AttestationError("the session has not attested")
        try:
            disk_root = bytes.fromhex(path[len(RESOURCE_PREFIX):])
        except ValueError:
            disk_root = b""
        if disk_root != session.disk_root:
            raise AttestationError("the session attested for another disk")
        wrapped = protocol.wrap_key(session.pub, session.nonce, disk_root, self.resources[disk_root].key)
        with self.lock:  # one key per attestation
            self.sessions.pop(next(k for k, s in self.sessions.items() if s is session), None)
        header = {"alg": "ECDH-ES+cvmify-kbs/1", "enc": "A256GCM", "epk": jwk_of_point(wrapped.broker_pub)}
        return {"protected": b64url(json.dumps(header, sort_keys=True).encode()), "encrypted_key": "",
                "iv": b64url(wrapped.iv), "ciphertext": b64url(wrapped.ciphertext), "tag": b64url(wrapped.tag)}


class _Handler(BaseHTTPRequestHandler):
    broker: Broker  # set on the subclass made by serve()

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug("kbs: " + fmt, *args)

    def _reply(self, status: int, body: dict, cookie: str | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if cookie is not None:
            self.send_header("Set-Cookie", f"{COOKIE}={cookie}; Path=/kbs; HttpOnly")
        self.end_headers()
        self.wfile.write(data)

    def _cookie(self) -> str | None:
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE:
                return value
        return None

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            raise AttestationError("request body missing or too large")
        body = json.loads(self.rfile.read(length))
        if not isinstance(body, dict):
            raise AttestationError("request body is not a JSON object")
        return body

    def _handle(self, action: Callable[[], tuple[int, dict, str | None]]) -> None:
        try:
            status, body, cookie = action()
        except (AttestationError, ValueError) as e:
            log.warning("kbs: refused: %s", e)
            status, body, cookie = 401, {"type": "https://github.com/confidential-containers/kbs/errors/"
                                                 "AttestationFailed", "detail": str(e)}, None
        except CvmifyError as e:
            status, body, cookie = 400, {"type": "cvmify/" + e.code, "detail": str(e)}, None
        self._reply(status, body, cookie)

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == "/kbs/v0/auth":
            def auth():
                sid, reply = self.broker.auth(self._body())
                return 200, reply, sid
            self._handle(auth)
        elif self.path == "/kbs/v0/attest":
            self._handle(lambda: (200, self.broker.attest(self._cookie(), self._body()), None))
        else:
            self._reply(404, {"detail": "no such endpoint"})

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith(RESOURCE_PREFIX):
            self._handle(lambda: (200, self.broker.resource(self._cookie(), self.path), None))
        else:
            self._reply(404, {"detail": "no such resource"})


def make_server(broker: Broker, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("KbsHandler", (_Handler,), {"broker": broker})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
