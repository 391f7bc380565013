"""The relay `cvmify run` runs for a TD (and a simulated one): QEMU's
COM4 chardev connects to a unix socket here; frames from the guest
(cvmify/kbs/protocol.py) become requests to the key broker, answers go
back as frames. The relay is host software, hence untrusted by the guest:
it only carries bytes whose protection is end to end (the nonce and the
guest key are bound in the quote, the key is wrapped to the guest key).

In a plain VM (--mode tdx-sim) it also plays the simulated quoting
enclave: it signs the guest's simulated TDREPORT with the development
key, with the MRTD of the td.fd it booted (cvmify/attest/simulated.py).
"""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from cvmify.kbs import protocol
from cvmify.kbs.client import BrokerRefused, KbsClient

log = logging.getLogger(__name__)

ACCEPT_TIMEOUT_SECONDS = 600


@dataclass
class SimQuoter:
    mrtd: bytes
    key: object  # cryptography EllipticCurvePrivateKey

    def quote(self, tdreport: bytes) -> bytes:
        from cvmify.attest.simulated import quote_from_tdreport

        return quote_from_tdreport(tdreport, self.mrtd, self.key)


class Relay(threading.Thread):
    """Listens on `path` (before QEMU starts), serves one guest connection."""

    def __init__(self, path: Path, kbs_url: str, sim: SimQuoter | None):
        super().__init__(name="cvmify-kbs-relay", daemon=True)
        self.path = path
        self.client = KbsClient(kbs_url)
        self.sim = sim
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.listener.listen(1)
        self.listener.settimeout(ACCEPT_TIMEOUT_SECONDS)
        self.released = False
        self.refusal: str | None = None

    def close(self) -> None:
        try:
            self.listener.close()
        except OSError:
            pass

    def run(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            try:
                self.serve(conn)
            except (EOFError, OSError):
                pass
            except protocol.ProtocolError as e:
                log.warning("kbs relay: the guest broke the protocol: %s", e)

    def _refuse(self, conn: socket.socket, reason: str) -> None:
        self.refusal = reason
        log.warning("kbs relay: key refused: %s", reason)
        conn.sendall(protocol.encode_frame(protocol.REFUSED, reason.encode("ascii", "replace")[:200]))

    def serve(self, conn: socket.socket) -> None:
        disk_root = b""
        while True:
            type_, payload = protocol.read_frame(conn)
            try:
                if type_ == protocol.HELLO:
                    disk_root = protocol.parse_hello(payload)
                    conn.sendall(protocol.encode_frame(protocol.CHALLENGE, self.client.auth()))
                elif type_ == protocol.SIM_QUOTE:
                    if self.sim is None:
                        self._refuse(conn, "no simulated quoting enclave in a real TD run")
                    elif len(payload) != protocol.TDREPORT_SIZE:
                        raise protocol.ProtocolError("SIM_QUOTE is not a TDREPORT")
                    else:
                        conn.sendall(protocol.encode_frame(protocol.QUOTE, self.sim.quote(payload)))
                elif type_ == protocol.ATTEST:
                    attest = protocol.parse_attest(payload)
                    self.client.attest(attest, disk_root)
                    wrapped = self.client.disk_key(disk_root)
                    conn.sendall(protocol.encode_frame(protocol.KEY, wrapped.frame()))
                    self.released = True
                else:
                    raise protocol.ProtocolError(f"unexpected frame type {type_}")
            except BrokerRefused as e:
                self._refuse(conn, str(e))
            except OSError as e:  # the broker is unreachable
                self._refuse(conn, f"key broker unreachable: {e.__class__.__name__}")
