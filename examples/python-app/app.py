"""A small program that touches what a real app touches: the standard
library on disk, a temporary file, hashing and the environment."""

import hashlib
import os
import platform
import sys
import tempfile


def primes_below(limit: int) -> list[int]:
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\0\0"
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n::n] = bytearray(len(sieve[n * n::n]))
    return [n for n, is_prime in enumerate(sieve) if is_prime]


def main() -> int:
    print(f"Hello from Python {platform.python_version()} inside a cvmify confidential VM")
    primes = primes_below(10_000)
    print(f"{len(primes)} primes below 10000, the last is {primes[-1]}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "note.txt")
        with open(path, "w") as handle:
            handle.write("written and read back\n")
        with open(path, "rb") as handle:
            print("sha256 of the note:", hashlib.sha256(handle.read()).hexdigest()[:16])
    print("cwd:", os.getcwd(), "argv:", sys.argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
