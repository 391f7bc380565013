"""The one exception tree of cvmify.

Every error the library raises on bad input or a failed operation is a
CvmifyError subclass. Each class carries a stable `code` (used in --json
output) and an `exit_code`; cli.py maps them in one place. The table is
documented in docs/errors.md and pinned by tests/test_errors.py.
"""

from __future__ import annotations


class ExitCode:
    OK = 0
    GENERIC = 1
    USAGE = 2
    IMAGE_NOT_FOUND = 3
    UNSUPPORTED_PLATFORM = 4
    MISSING_LIBRARY = 5
    INVALID_MANIFEST = 6
    INTEGRITY = 7
    IO = 8
    UNSAFE_IMAGE = 9
    BAD_BUNDLE = 10
    LAUNCH = 11
    GUEST_FAILURE = 12
    PORT_UNAVAILABLE = 13
    ATTESTATION = 14
    VOLUME = 15
    NO_SUCH_CONTAINER = 16
    INTERRUPTED = 130


class CvmifyError(Exception):
    """Base class: a clean, one-line failure."""

    code = "error"
    exit_code = ExitCode.GENERIC

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(CvmifyError):
    code = "usage"
    exit_code = ExitCode.USAGE


class ImageNotFoundError(CvmifyError):
    code = "image-not-found"
    exit_code = ExitCode.IMAGE_NOT_FOUND


class UnsupportedImageError(CvmifyError):
    """Wrong platform, unknown media type, or a format we do not read."""

    code = "unsupported"
    exit_code = ExitCode.UNSUPPORTED_PLATFORM


class MissingLibraryError(CvmifyError):
    """The entrypoint, its interpreter or a needed library is not in the image."""

    code = "missing-library"
    exit_code = ExitCode.MISSING_LIBRARY


class InvalidManifestError(CvmifyError):
    code = "invalid-manifest"
    exit_code = ExitCode.INVALID_MANIFEST


class IntegrityError(CvmifyError):
    """A digest, tag or root hash does not match."""

    code = "integrity"
    exit_code = ExitCode.INTEGRITY


class CvmifyIOError(CvmifyError):
    code = "io"
    exit_code = ExitCode.IO


class UnsafeImageError(CvmifyError):
    """A layer tries to escape the root or carries something we refuse."""

    code = "unsafe-image"
    exit_code = ExitCode.UNSAFE_IMAGE


class BadBundleError(CvmifyError):
    code = "bad-bundle"
    exit_code = ExitCode.BAD_BUNDLE


class LaunchError(CvmifyError):
    """QEMU is missing or could not start."""

    code = "launch"
    exit_code = ExitCode.LAUNCH


class GuestFailureError(CvmifyError):
    """The guest kernel panicked or QEMU died without an app exit status."""

    code = "guest-failure"
    exit_code = ExitCode.GUEST_FAILURE


class PortUnavailableError(CvmifyError):
    """`cvmify run -p/-P`: a malformed spec, or a host port that is taken,
    privileged or published twice; found before QEMU starts."""

    code = "port-unavailable"
    exit_code = ExitCode.PORT_UNAVAILABLE


class AttestationError(CvmifyError):
    """A quote, event log or attestation was refused: bad signature or
    collateral, out of its validity window, a TCB status the policy does
    not accept, or measurements that differ from the bundle's."""

    code = "attestation"
    exit_code = ExitCode.ATTESTATION


class VolumeError(CvmifyError):
    """A persistent volume cannot be used: no such volume, in use by a
    running container, a bind mount or a mount the bundle's policy refuses."""

    code = "volume"
    exit_code = ExitCode.VOLUME


class NoSuchContainerError(CvmifyError):
    """`cvmify logs/stop/rm` named a container that does not exist."""

    code = "no-such-container"
    exit_code = ExitCode.NO_SUCH_CONTAINER
