"""The measurement register and its extend operation (docs/measurements.md).

One 48-byte register, extended like a TDX RTMR: R' = SHA-384(R || value).
The guest extends kernel, config and disk root in that fixed order.
"""

from __future__ import annotations

import hashlib

from cvmify.errors import UsageError

DIGEST_SIZE = 48
INITIAL = bytes(DIGEST_SIZE)


def extend(register: bytes, value: bytes) -> bytes:
    """SHA-384(register || value); both must be 48 bytes."""
    if len(register) != DIGEST_SIZE or len(value) != DIGEST_SIZE:
        raise UsageError(f"extend needs two {DIGEST_SIZE}-byte values, got {len(register)} and {len(value)}")
    return hashlib.sha384(register + value).digest()


def replay(values: list[bytes]) -> bytes:
    """The register after extending INITIAL with each value in order."""
    register = INITIAL
    for value in values:
        register = extend(register, value)
    return register
