"""Choosing the accelerator: KVM only if it actually works.

`/dev/kvm` existing is not enough (nested KVM is often broken), so
`--accel auto` boots the bundle's own kernel in probe mode (fw_cfg
`opt/cvmify/probe=1`, docs/boot-config.md) under KVM with a short
timeout and accepts KVM only if COM3 says `cvmify: probe ok`. The verdict
is cached per (QEMU version, kernel sha256) in $XDG_CACHE_HOME/cvmify/.
Otherwise TCG.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
from pathlib import Path
from typing import Callable

from cvmify.errors import UsageError
from cvmify.launch.qemu import KVM, TCG, Accel, Consoles, FwCfg, VmSpec, vm_argv
from cvmify.launch.runner import run_qemu

log = logging.getLogger(__name__)

KVM_DEVICE = Path("/dev/kvm")
PROBE_TIMEOUT_SECONDS = 20.0
PROBE_MEMORY = "64M"
CACHE_FILE = "accel-probe.json"

Prober = Callable[[str, Path], bool]


def qemu_version(qemu: str) -> str:
    """The first line of `qemu --version`, or "" when it cannot be run."""
    try:
        out = subprocess.run([qemu, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.splitlines()[0].strip() if out.stdout else ""


def qemu_identity(qemu: str) -> str:
    """The QEMU binary as a cache key: its resolved path, size and mtime
    (an upgrade changes them), without starting it."""
    import shutil

    found = shutil.which(qemu)
    if found is None:
        return qemu
    path = Path(found).resolve()
    st = path.stat()
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def kernel_sha256(kernel: Path) -> str:
    return hashlib.sha256(kernel.read_bytes()).hexdigest()


def probe_spec(kernel: Path, consoles: Consoles, accel: Accel = KVM) -> VmSpec:
    return VmSpec(
        kernel=kernel,
        memory=PROBE_MEMORY,
        cpus=1,
        accel=accel,
        consoles=consoles,
        fw_cfg=(FwCfg("opt/cvmify/probe", string="1"),),
    )


def probe_kvm(qemu: str, kernel: Path, accel: Accel = KVM) -> bool:
    """Boot the kernel in probe mode under KVM (tests may pass another
    accelerator); True only on `cvmify: probe ok`."""
    sink = io.BytesIO()
    run = run_qemu(
        lambda consoles: vm_argv(qemu, probe_spec(kernel, consoles, accel)),
        stdin=None, stdout=sink, stderr=sink, timeout=PROBE_TIMEOUT_SECONDS,
    )
    if not run.control.probe_ok:
        reason = "timed out" if run.timed_out else f"QEMU exited {run.returncode}"
        log.info("KVM probe failed (%s); using TCG", reason)
    return run.control.probe_ok


def _load_cache(path: Path) -> dict[str, bool]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, bool)}


def _store_cache(path: Path, cache: dict[str, bool]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(cache, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)
    except OSError as e:
        log.info("cannot cache the KVM probe verdict in %s: %s", path, e.strerror)


def kvm_works(qemu: str, kernel: Path, cache_dir: Path, prober: Prober = probe_kvm) -> bool:
    """Whether KVM can run this kernel with this QEMU (cached verdict)."""
    if not os.access(KVM_DEVICE, os.R_OK | os.W_OK):
        log.info("%s is not usable; using TCG", KVM_DEVICE)
        return False
    key = f"{qemu_identity(qemu)}|{kernel_sha256(kernel)}"
    cache_path = cache_dir / CACHE_FILE
    cache = _load_cache(cache_path)
    if key in cache:
        log.info("KVM probe verdict from cache: %s", "works" if cache[key] else "broken")
        return cache[key]
    verdict = prober(qemu, kernel)
    cache[key] = verdict
    _store_cache(cache_path, cache)
    return verdict


def choose_accel(requested: str, qemu: str, kernel: Path, cache_dir: Path, prober: Prober = probe_kvm) -> Accel:
    """--accel kvm|tcg is taken as asked; auto probes KVM."""
    if requested == "kvm":
        return KVM
    if requested == "tcg":
        return TCG
    if requested == "auto":
        return KVM if kvm_works(qemu, kernel, cache_dir, prober) else TCG
    raise UsageError(f"--accel {requested!r}: expected auto, kvm or tcg")
