"""The relay's HTTP client for the key broker (cvmify/kbs/broker.py's API,
the shape of Trustee's KBS protocol). One session per key release; the
session cookie is kept by requests."""

from __future__ import annotations

import base64
import json

import requests

from cvmify.kbs import protocol
from cvmify.kbs.broker import RESOURCE_PREFIX, jwk_of_point, unb64url

TIMEOUT_SECONDS = 60


class BrokerRefused(Exception):
    """The broker answered with an error (its detail is the message)."""


class KbsClient:
    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.http = requests.Session()

    def _check(self, response: requests.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200:
            raise BrokerRefused(str(body.get("detail") or f"HTTP {response.status_code}"))
        if not isinstance(body, dict):
            raise BrokerRefused("the broker's answer is not a JSON object")
        return body

    def auth(self) -> bytes:
        body = self._check(self.http.post(f"{self.url}/kbs/v0/auth", timeout=TIMEOUT_SECONDS,
                                          json={"version": "0.1.0", "tee": "tdx", "extra-params": ""}))
        try:
            nonce = base64.b64decode(body["nonce"], validate=True)
        except (KeyError, TypeError, ValueError):
            raise BrokerRefused("no nonce in the challenge") from None
        if len(nonce) != protocol.NONCE_SIZE:
            raise BrokerRefused(f"the nonce is {len(nonce)} bytes, not {protocol.NONCE_SIZE}")
        return nonce

    def attest(self, attest: protocol.Attest, disk_root: bytes) -> None:
        evidence = {"quote": base64.b64encode(attest.quote).decode(),
                    "cc_eventlog": base64.b64encode(attest.event_log).decode(), "disk_root": disk_root.hex()}
        self._check(self.http.post(f"{self.url}/kbs/v0/attest", timeout=TIMEOUT_SECONDS,
                                   json={"tee-pubkey": jwk_of_point(attest.pub),
                                         "tee-evidence": json.dumps(evidence)}))

    def disk_key(self, disk_root: bytes) -> protocol.WrappedKey:
        body = self._check(self.http.get(f"{self.url}{RESOURCE_PREFIX}{disk_root.hex()}", timeout=TIMEOUT_SECONDS))
        try:
            header = json.loads(unb64url(body["protected"]))
            epk = header["epk"]
            broker_pub = b"\x04" + unb64url(epk["x"]) + unb64url(epk["y"])
            wrapped = protocol.WrappedKey(broker_pub=broker_pub, iv=unb64url(body["iv"]),
                                          ciphertext=unb64url(body["ciphertext"]), tag=unb64url(body["tag"]))
        except (KeyError, TypeError, ValueError):
            raise BrokerRefused("the key response is malformed") from None
        if (len(wrapped.broker_pub), len(wrapped.iv), len(wrapped.ciphertext), len(wrapped.tag)) != (
                protocol.POINT_SIZE, protocol.IV_SIZE, protocol.KEY_SIZE, protocol.TAG_SIZE):
            raise BrokerRefused("the key response has fields of the wrong size")
        return wrapped
