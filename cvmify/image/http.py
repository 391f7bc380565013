"""Reading an untrusted HTTP answer with a size limit, while it streams.

Registries and token servers are untrusted: an answer is read chunk by
chunk and refused as soon as it passes its limit, so a hostile server
cannot make us hold more than `limit` bytes (the request must be made
with stream=True for this to hold).
"""

from __future__ import annotations

import requests

from cvmify.errors import CvmifyIOError, UnsafeImageError

CHUNK_SIZE = 1 << 16


def read_limited(response: requests.Response, limit: int, what: str) -> bytes:
    """The whole body of `response`, or UnsafeImageError once it passes
    `limit` bytes (CvmifyIOError if the connection fails)."""
    data = bytearray()
    try:
        for chunk in response.iter_content(CHUNK_SIZE):
            data += chunk
            if len(data) > limit:
                raise UnsafeImageError(f"{what}: larger than {limit} bytes")
    except requests.RequestException as e:
        raise CvmifyIOError(f"{what}: {e}") from None
    finally:
        response.close()
    return bytes(data)
