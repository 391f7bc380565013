"""The expected launch measurements of a bundle (`measurements.json`).

compute_measurements predicts what the guest extends into its register:
kernel image digest, config.bin digest, disk root (docs/measurements.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cvmify.errors import BadBundleError, UsageError
from cvmify.measure.chain import DIGEST_SIZE, replay
from cvmify.measure.kernel_image import kernel_image_digest

FORMAT = "cvmify-measurements/1"
ALGORITHM = "sha384"
FIELDS = ("kernel", "config", "disk_root", "rtmr")


@dataclass(frozen=True)
class Measurements:
    kernel: bytes
    config: bytes
    disk_root: bytes
    rtmr: bytes
    tdx: Any = None  # cvmify.tdx.measurements.TdxMeasurements when the bundle has td.fd

    def to_json(self) -> dict:
        out: dict = {"format": FORMAT, "algorithm": ALGORITHM}
        for name in FIELDS:
            out[name] = getattr(self, name).hex()
        if self.tdx is not None:
            out["tdx"] = self.tdx.to_json()
        return out

    def with_tdx(self, tdx: Any) -> "Measurements":
        return replace(self, tdx=tdx)

    @classmethod
    def from_json(cls, data: dict) -> "Measurements":
        """Parse and check a measurements.json object (rtmr must match the chain)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("algorithm") != ALGORITHM:
            raise BadBundleError("measurements.json: unknown format or algorithm")
        values = {}
        for name in FIELDS:
            text = data.get(name)
            if not isinstance(text, str) or len(text) != 2 * DIGEST_SIZE or text != text.lower():
                raise BadBundleError(f"measurements.json: {name} is not {2 * DIGEST_SIZE} lowercase hex digits")
            try:
                values[name] = bytes.fromhex(text)
            except ValueError:
                raise BadBundleError(f"measurements.json: {name} is not hex") from None
        if "tdx" in data:
            from cvmify.tdx.measurements import TdxMeasurements

            values["tdx"] = TdxMeasurements.from_json(data["tdx"])
        m = cls(**values)
        if replay([m.kernel, m.config, m.disk_root]) != m.rtmr:
            raise BadBundleError("measurements.json: rtmr does not match kernel, config and disk_root")
        return m


def compute_measurements(kernel_elf: Path, config_bin: bytes, disk_root: bytes) -> Measurements:
    if len(disk_root) != DIGEST_SIZE:
        raise UsageError(f"disk root must be {DIGEST_SIZE} bytes, got {len(disk_root)}")
    kernel = kernel_image_digest(Path(kernel_elf))
    config = hashlib.sha384(config_bin).digest()
    rtmr = replay([kernel, config, disk_root])
    return Measurements(kernel=kernel, config=config, disk_root=disk_root, rtmr=rtmr)
