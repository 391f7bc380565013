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
DEFAULT_TD_KERNEL = REPO_ROOT / "kernel" / "build" / "tdx" / "cvmify-kernel.elf"
# What an installed wheel carries (scripts/build-wheel.sh puts it there;
# the TDX kernel beside it, as TD_KERNEL_SUBPATH).
PACKAGED_DATA = Path(__file__).resolve().parent / "_data"
PACKAGED_KERNEL = PACKAGED_DATA / "cvmify-kernel.elf"
CHECKOUT_BASE_MANIFESTS = REPO_ROOT / "base-manifests"
PACKAGED_BASE_MANIFESTS = PACKAGED_DATA / "base-manifests"
BASE_MANIFESTS_ENV = "CVMIFY_BASE_MANIFESTS"
KERNEL_ENV = "CVMIFY_KERNEL"
TD_KERNEL_ENV = "CVMIFY_TD_KERNEL"
TD_KERNEL_SUBPATH = Path("tdx") / "cvmify-kernel.elf"  # beside the kernel, as `make -C kernel` builds it
QEMU_ENV = "CVMIFY_QEMU"
DEFAULT_QEMU = "qemu-system-x86_64"


def _given(option: Path | None, flag: str, env: str) -> Path | None:
    """The file named by a command-line option, else by an environment
    variable; UsageError if it names nothing."""
    if option is not None:
        if not option.is_file():
            raise UsageError(f"{flag} {option}: no such file")
        return option
    from_env = os.environ.get(env)
    if from_env:
        if not Path(from_env).is_file():
            raise UsageError(f"${env}={from_env}: no such file")
        return Path(from_env)
    return None


def kernel_path(option: Path | None = None) -> Path:
    """The kernel binary: --kernel, then $CVMIFY_KERNEL, then the build in a
    checkout, then the one the installed package carries."""
    given = _given(option, "--kernel", KERNEL_ENV)
    if given is not None:
        return given
    for candidate in (DEFAULT_KERNEL, PACKAGED_KERNEL):
        if candidate.is_file():
            return candidate
    raise CvmifyIOError(
        f"kernel binary not found at {DEFAULT_KERNEL} (a checkout) or {PACKAGED_KERNEL} (a wheel); "
        "run `make -C kernel` or pass --kernel"
    )


def td_kernel_path(option: Path | None, kernel: Path) -> Path:
    """The TDX kernel that td.fd carries: --td-kernel, then $CVMIFY_TD_KERNEL,
    then tdx/cvmify-kernel.elf beside `kernel` (`make -C kernel` builds
    both), then the repo build."""
    given = _given(option, "--td-kernel", TD_KERNEL_ENV)
    if given is not None:
        return given
    beside = kernel.parent / TD_KERNEL_SUBPATH
    if beside.is_file():
        return beside
    if not DEFAULT_TD_KERNEL.is_file():
        raise CvmifyIOError(
            f"TDX kernel not found at {beside} or {DEFAULT_TD_KERNEL}; run `make -C kernel` or pass --td-kernel"
        )
    return DEFAULT_TD_KERNEL


def qemu_binary() -> str:
    """The QEMU executable name or path ($CVMIFY_QEMU overrides)."""
    return os.environ.get(QEMU_ENV) or DEFAULT_QEMU


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/cvmify (default ~/.cache/cvmify); not created here."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cvmify"


def sim_key_path() -> Path:
    """The development key of the simulated quoting enclave (docs/tdx.md)."""
    return cache_dir() / "sim-qe-key.pem"


def base_manifest_dir() -> Path:
    """$CVMIFY_BASE_MANIFESTS, else base-manifests/ of a checkout, else the
    copy the installed package carries."""
    override = os.environ.get(BASE_MANIFESTS_ENV)
    if override:
        return Path(override)
    return CHECKOUT_BASE_MANIFESTS if CHECKOUT_BASE_MANIFESTS.is_dir() else PACKAGED_BASE_MANIFESTS


STATE_ENV = "CVMIFY_STATE_DIR"


def state_dir() -> Path:
    """Per-user state (containers): $CVMIFY_STATE_DIR, else
    $XDG_STATE_HOME/cvmify (default ~/.local/state/cvmify); not created here."""
    explicit = os.environ.get(STATE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "cvmify"
