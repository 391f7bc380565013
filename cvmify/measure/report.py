"""The VM-mode software report read from /dev/attestation/report.

docs/measurements.md: 272 bytes, unsigned, carrying the four measurement
values and the 64 bytes of user_report_data. The end-to-end tests read it
inside the guest and compare it with what compute_measurements predicts;
`pack_report` gives the exact bytes to expect.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cvmify.errors import IntegrityError, UsageError
from cvmify.measure.measurements import Measurements

MAGIC = b"CVMREP01"
VERSION = 1
REPORT_DATA_SIZE = 64
_REPORT = struct.Struct("<8sII48s48s48s48s64s")
REPORT_SIZE = _REPORT.size
assert REPORT_SIZE == 272


@dataclass(frozen=True)
class SoftwareReport:
    measurements: Measurements
    user_report_data: bytes


def pack_report(measurements: Measurements, user_report_data: bytes = b"") -> bytes:
    """The report the guest must produce; short report data is zero-padded."""
    if len(user_report_data) > REPORT_DATA_SIZE:
        raise UsageError(f"user_report_data is at most {REPORT_DATA_SIZE} bytes")
    m = measurements
    return _REPORT.pack(MAGIC, VERSION, 0, m.kernel, m.config, m.disk_root, m.rtmr,
                        user_report_data.ljust(REPORT_DATA_SIZE, b"\0"))


def parse_report(data: bytes) -> SoftwareReport:
    if len(data) != REPORT_SIZE:
        raise IntegrityError(f"attestation report is {len(data)} bytes, expected {REPORT_SIZE}")
    magic, version, reserved, kernel, config, disk_root, rtmr, user = _REPORT.unpack(data)
    if magic != MAGIC or version != VERSION or reserved != 0:
        raise IntegrityError("attestation report: bad magic, version or reserved field")
    return SoftwareReport(Measurements(kernel, config, disk_root, rtmr), user)
