"""Where cvmify finds things on the host.

All host paths the library looks up live here, so that tests can redirect
them (environment variables) and the rest of the code takes plain paths.
"""

from __future__ import annotations

import os
from pathlib import Path

from cvmify.errors import CvmifyIOError, UsageError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KERNEL = REPO_ROOT / "kernel" / "build" / "cvmify-kernel.elf"  # in a checkout
# What an installed wheel carries (scripts/build-wheel.sh puts it there).
PACKAGED_DATA = Path(__file__).resolve().parent / "_data"
PACKAGED_KERNEL = PACKAGED_DATA / "cvmify-kernel.elf"
CHECKOUT_BASE_MANIFESTS = REPO_ROOT / "base-manifests"
PACKAGED_BASE_MANIFESTS = PACKAGED_DATA / "base-manifests"
BASE_MANIFESTS_ENV = "CVMIFY_BASE_MANIFESTS"
KERNEL_ENV = "CVMIFY_KERNEL"
QEMU_ENV = "CVMIFY_QEMU"
DEFAULT_QEMU = "qemu-system-x86_64"


def kernel_path(option: Path | None = None) -> Path:
    """The kernel binary: --kernel, then $CVMIFY_KERNEL, then the build in a
    checkout, then the one the installed package carries."""
    if option is not None:
        if not option.is_file():
            raise UsageError(f"--kernel {option}: no such file")
        return option
    from_env = os.environ.get(KERNEL_ENV)
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise UsageError(f"${KERNEL_ENV}={from_env}: no such file")
        return path
    for candidate in (DEFAULT_KERNEL, PACKAGED_KERNEL):
        if candidate.is_file():
            return candidate
    raise CvmifyIOError(
        f"kernel binary not found at {DEFAULT_KERNEL} (a checkout) or {PACKAGED_KERNEL} (a wheel); "
        "run `make -C kernel` or pass --kernel"
    )


def base_manifest_dir() -> Path:
    """$CVMIFY_BASE_MANIFESTS, else base-manifests/ of a checkout, else the
    copy the installed package carries."""
    override = os.environ.get(BASE_MANIFESTS_ENV)
    if override:
        return Path(override)
    return CHECKOUT_BASE_MANIFESTS if CHECKOUT_BASE_MANIFESTS.is_dir() else PACKAGED_BASE_MANIFESTS


def qemu_binary() -> str:
    """The QEMU executable name or path ($CVMIFY_QEMU overrides)."""
    return os.environ.get(QEMU_ENV) or DEFAULT_QEMU


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/cvmify (default ~/.cache/cvmify); not created here."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cvmify"


STATE_ENV = "CVMIFY_STATE_DIR"


def state_dir() -> Path:
    """Per-user state (containers): $CVMIFY_STATE_DIR, else
    $XDG_STATE_HOME/cvmify (default ~/.local/state/cvmify); not created here."""
    explicit = os.environ.get(STATE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "cvmify"
