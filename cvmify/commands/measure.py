"""`cvmify measure BUNDLE`: recompute the expected launch measurements.

The values come from the bundle's own files (kernel.elf, config.bin, the
root hash of rootfs.img), never from measurements.json; that file is only
compared against them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cvmify.bundle import Bundle, load_bundle
from cvmify.errors import BadBundleError, UsageError

FIELDS = ("kernel", "config", "disk_root", "rtmr")


@dataclass
class MeasureResult:
    bundle: Path
    measurements: Any  # cvmify.measure.measurements.Measurements
    recorded_matches: bool
    problems: list[str]
    mrtd_order: str = "single"
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = {
            "bundle": str(self.bundle),
            "measurements": self.measurements.to_json(),
            "recorded_matches": self.recorded_matches,
            "problems": self.problems,
        }
        if self.measurements.tdx is not None:
            out["mrtd_order"] = self.mrtd_order
            out["mrtd"] = self.measurements.tdx.mrtd_for(self.mrtd_order).hex()
        return out

    def text_lines(self) -> list[str]:
        lines = [f"{name + ':':<11}{getattr(self.measurements, name).hex()}" for name in FIELDS]
        tdx = self.measurements.tdx
        if tdx is not None:
            order = "upstream KVM, single pass" if self.mrtd_order == "single" else "QEMU 8.x era, two pass"
            lines.append(f"{'mrtd:':<11}{tdx.mrtd_for(self.mrtd_order).hex()}  ({order})")
            lines += [f"{f'rtmr{i}:':<11}{value.hex()}" for i, value in enumerate(tdx.rtmr)]
            lines.append(f"{'mrconfigid:':<11}{tdx.mrconfigid.hex()}  (unused)")
        lines.append("measurements.json: " + ("matches" if self.recorded_matches else "DIFFERS"))
        return lines


def disk_root_of(bundle: Bundle) -> bytes:
    """The root hash of rootfs.img as stored (superblock and tag table; no
    key needed)."""
    from cvmify.disk.reader import DiskReader

    with DiskReader(bundle.file("rootfs.img"), None) as reader:
        return reader.root


def recompute(bundle: Bundle) -> Any:
    from cvmify.measure.measurements import compute_measurements

    config_bin = bundle.file("config.bin").read_bytes()
    disk_root = disk_root_of(bundle)
    measurements = compute_measurements(bundle.file("kernel.elf"), config_bin, disk_root)
    if bundle.has_td_fd:
        measurements = measurements.with_tdx(recompute_tdx(bundle, config_bin, disk_root))
    return measurements


def recompute_tdx(bundle: Bundle, config_bin: bytes, disk_root: bytes) -> Any:
    """MRTD/RTMRs from td.fd; td.fd must carry the bundle's own config.bin."""
    from cvmify.errors import IntegrityError
    from cvmify.tdx.measurements import compute_tdx_measurements
    from cvmify.tdx.tdvf import TD_FD_NAME, config_of, read_td_fd

    image = read_td_fd(bundle.file(TD_FD_NAME))
    if config_of(image) != config_bin:
        raise IntegrityError(f"{bundle.file(TD_FD_NAME)}: its boot config differs from config.bin")
    return compute_tdx_measurements(image, config_bin, disk_root)


def compare_recorded(bundle: Bundle, expected: Any) -> list[str]:
    """Differences between measurements.json and `expected` (empty if equal)."""
    from cvmify.measure.measurements import Measurements

    try:
        recorded = Measurements.from_json(json.loads(bundle.file("measurements.json").read_bytes()))
    except (ValueError, BadBundleError) as e:
        return [f"measurements.json: {e}"]
    problems = [
        f"measurements.json: {name} is {getattr(recorded, name).hex()}, recomputed {getattr(expected, name).hex()}"
        for name in FIELDS
        if getattr(recorded, name) != getattr(expected, name)
    ]
    if (recorded.tdx is None) != (expected.tdx is None):
        problems.append("measurements.json: tdx " + ("missing" if recorded.tdx is None else "present without td.fd"))
    elif expected.tdx is not None:
        want, got = expected.tdx.to_json(), recorded.tdx.to_json()
        problems += [f"measurements.json: tdx.{name} is {got[name]}, recomputed {want[name]}"
                     for name in sorted(want) if got[name] != want[name]]
    return problems


def measure_bundle(path: Path, mrtd_order: str = "single") -> MeasureResult:
    from cvmify.tdx.mrtd import ORDERS

    if mrtd_order not in ORDERS:
        raise UsageError(f"--mrtd-order {mrtd_order!r}: expected one of {', '.join(ORDERS)}")
    bundle = load_bundle(path)
    expected = recompute(bundle)
    problems = compare_recorded(bundle, expected)
    return MeasureResult(
        bundle=path,
        measurements=expected,
        recorded_matches=not problems,
        problems=problems,
        mrtd_order=mrtd_order,
        warnings=problems,
    )
