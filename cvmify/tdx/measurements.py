"""The TDX launch measurements of a bundle: MRTD, RTMR0-3 and MRCONFIGID.

What goes into each register (docs/measurements.md, "TDX"):
- MRTD: td.fd as the host adds it: the boot stub, the kernel image and
  config.bin (which names the disk root) in extended sections, and the
  addresses of the TempMem and TD_HOB pages (cvmify/tdx/mrtd.py);
- RTMR0, RTMR1: nothing (there is no firmware or boot loader to measure);
  they stay zero;
- RTMR2: the kernel extends SHA-384(config.bin) when it reads the config,
  then the disk root once the root filesystem checked against it; the
  same values are in MRTD, RTMR2 records them in the event log;
- RTMR3: the host's overrides (SHA-384 of the overrides blob) when a run
  passes any; zero for a run without them (the expected value here);
- MRCONFIGID: not used, must be zero.
Every extend is also an event in the kernel's CCEL-style log
(cvmify/tdx/eventlog.py replays it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cvmify.errors import BadBundleError
from cvmify.measure.chain import DIGEST_SIZE, INITIAL, extend
from cvmify.tdx.mrtd import compute_mrtd
from cvmify.tdx.tdvf import TdImage

EV_IPL = 0x0000000D
RTMR_CONFIG = 2
RTMR_OVERRIDES = 3
CONFIG_EVENT = b"cvmify:config"
DISK_ROOT_EVENT = b"cvmify:disk-root"
OVERRIDES_EVENT = b"cvmify:overrides"


@dataclass(frozen=True)
class KernelEvent:
    """One extend the kernel makes: RTMR index (0..3), digest, event data."""

    rtmr: int
    digest: bytes
    data: bytes


def kernel_events(config_bin: bytes, disk_root: bytes, overrides: bytes = b"") -> list[KernelEvent]:
    """The extends the kernel makes at boot, in order."""
    events = [
        KernelEvent(RTMR_CONFIG, hashlib.sha384(config_bin).digest(), CONFIG_EVENT),
        KernelEvent(RTMR_CONFIG, disk_root, DISK_ROOT_EVENT),
    ]
    if overrides:
        events.append(KernelEvent(RTMR_OVERRIDES, hashlib.sha384(overrides).digest(), OVERRIDES_EVENT))
    return events


def replay_rtmrs(events: list[KernelEvent]) -> tuple[bytes, bytes, bytes, bytes]:
    rtmrs = [INITIAL] * 4
    for event in events:
        rtmrs[event.rtmr] = extend(rtmrs[event.rtmr], event.digest)
    return tuple(rtmrs)  # type: ignore[return-value]


@dataclass(frozen=True)
class TdxMeasurements:
    mrtd: bytes  # single-pass (upstream KVM) order
    mrtd_two_pass: bytes  # QEMU 8.x-era order
    rtmr: tuple[bytes, bytes, bytes, bytes]
    mrconfigid: bytes = bytes(DIGEST_SIZE)

    def to_json(self) -> dict:
        out = {"mrtd": self.mrtd.hex(), "mrtd_two_pass": self.mrtd_two_pass.hex(),
               "mrconfigid": self.mrconfigid.hex()}
        for i, value in enumerate(self.rtmr):
            out[f"rtmr{i}"] = value.hex()
        return out

    @classmethod
    def from_json(cls, data: object) -> "TdxMeasurements":
        if not isinstance(data, dict):
            raise BadBundleError("measurements.json: tdx is not an object")

        def value(name: str) -> bytes:
            text = data.get(name)
            if not isinstance(text, str) or len(text) != 2 * DIGEST_SIZE or text != text.lower():
                raise BadBundleError(f"measurements.json: tdx.{name} is not {2 * DIGEST_SIZE} lowercase hex digits")
            try:
                return bytes.fromhex(text)
            except ValueError:
                raise BadBundleError(f"measurements.json: tdx.{name} is not hex") from None

        return cls(mrtd=value("mrtd"), mrtd_two_pass=value("mrtd_two_pass"),
                   rtmr=tuple(value(f"rtmr{i}") for i in range(4)),  # type: ignore[arg-type]
                   mrconfigid=value("mrconfigid"))

    def mrtd_for(self, order: str) -> bytes:
        return self.mrtd_two_pass if order == "two-pass" else self.mrtd


def compute_tdx_measurements(image: TdImage, config_bin: bytes, disk_root: bytes) -> TdxMeasurements:
    return TdxMeasurements(
        mrtd=compute_mrtd(image, "single"),
        mrtd_two_pass=compute_mrtd(image, "two-pass"),
        rtmr=replay_rtmrs(kernel_events(config_bin, disk_root)),
    )
