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
from cvmify.errors import BadBundleError

FIELDS = ("kernel", "config", "disk_root", "rtmr")


@dataclass
class MeasureResult:
    bundle: Path
    measurements: Any  # cvmify.measure.measurements.Measurements
    recorded_matches: bool
    problems: list[str]
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": str(self.bundle),
            "measurements": self.measurements.to_json(),
            "recorded_matches": self.recorded_matches,
            "problems": self.problems,
        }

    def text_lines(self) -> list[str]:
        lines = [f"{name + ':':<11}{getattr(self.measurements, name).hex()}" for name in FIELDS]
        lines.append("measurements.json: " + ("matches" if self.recorded_matches else "DIFFERS"))
        return lines


def disk_root_of(bundle: Bundle) -> bytes:
    """The root hash of rootfs.img as stored (superblock and tag table)."""
    from cvmify.disk.reader import DiskReader

    with DiskReader(bundle.file("rootfs.img"), bundle.read_key()) as reader:
        return reader.root


def recompute(bundle: Bundle) -> Any:
    from cvmify.measure.measurements import compute_measurements

    config_bin = bundle.file("config.bin").read_bytes()
    return compute_measurements(bundle.file("kernel.elf"), config_bin, disk_root_of(bundle))


def compare_recorded(bundle: Bundle, expected: Any) -> list[str]:
    """Differences between measurements.json and `expected` (empty if equal)."""
    from cvmify.measure.measurements import Measurements

    try:
        recorded = Measurements.from_json(json.loads(bundle.file("measurements.json").read_bytes()))
    except (ValueError, BadBundleError) as e:
        return [f"measurements.json: {e}"]
    return [
        f"measurements.json: {name} is {getattr(recorded, name).hex()}, recomputed {getattr(expected, name).hex()}"
        for name in FIELDS
        if getattr(recorded, name) != getattr(expected, name)
    ]


def measure_bundle(path: Path) -> MeasureResult:
    bundle = load_bundle(path)
    expected = recompute(bundle)
    problems = compare_recorded(bundle, expected)
    return MeasureResult(
        bundle=path,
        measurements=expected,
        recorded_matches=not problems,
        problems=problems,
        warnings=problems,
    )
