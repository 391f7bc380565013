"""`cvmify doctor [--json]`: what this machine has for cvmify, what is
missing, and the fix for each (docs/install.md).

Each check ends `ok`, `warn` (cvmify works, with less: no KVM means TCG,
no docker daemon means no `docker-daemon:` images) or `fail` (`cvmify
build` or `run` cannot work). The command exits 1 when anything failed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from cvmify import paths
from cvmify.errors import CvmifyError

OK, WARN, FAIL = "ok", "warn", "fail"
MIN_QEMU = (7, 0)


@dataclass
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass
class DoctorResult:
    checks: list[Check]
    warnings: list[str] = field(default_factory=list)

    @property
    def status(self) -> int:
        return 1 if any(c.status == FAIL for c in self.checks) else 0

    def to_json(self) -> dict[str, Any]:
        return {"checks": [c.to_json() for c in self.checks], "ok": self.status == 0}

    def text_lines(self) -> list[str]:
        lines = []
        for c in self.checks:
            lines.append(f"{c.status:4}  {c.name}: {c.detail}")
            if c.fix and c.status != OK:
                lines.append(f"      fix: {c.fix}")
        return lines


def check_kernel() -> Check:
    from cvmify.commands.version import sha384_file

    try:
        kernel = paths.kernel_path()
    except CvmifyError as e:
        return Check("kernel", FAIL, e.message, "in a checkout: make -C kernel; installed: reinstall the cvmify wheel")
    return Check("kernel", OK, f"{kernel} (sha384 {sha384_file(kernel)[:16]}...)")


def check_base_manifests() -> Check:
    directory = paths.base_manifest_dir()
    if (directory / "generic.toml").is_file():
        return Check("base manifests", OK, str(directory))
    return Check("base manifests", FAIL, f"{directory} has no generic.toml",
                 f"set ${paths.BASE_MANIFESTS_ENV} to a base-manifests/ directory, or reinstall the wheel")


def _qemu_version(qemu: str) -> tuple[str, tuple[int, ...]]:
    from cvmify.launch.accel import qemu_version

    line = qemu_version(qemu)
    numbers = next((w for w in line.split() if w[:1].isdigit()), "")
    parts = tuple(int(p) for p in numbers.split(".") if p.isdigit())
    return line, parts


def check_qemu(qemu: str) -> Check:
    fix = "apt-get install qemu-system-x86 (or set $CVMIFY_QEMU to a qemu-system-x86_64)"
    if shutil.which(qemu) is None:
        return Check("qemu", FAIL, f"{qemu} not found", fix)
    line, version = _qemu_version(qemu)
    if not line:
        return Check("qemu", FAIL, f"{qemu} --version gave nothing", fix)
    if version[:2] < MIN_QEMU:
        return Check("qemu", FAIL, f"{line}: cvmify needs {MIN_QEMU[0]}.{MIN_QEMU[1]} or newer", fix)
    return Check("qemu", OK, line)


def check_kvm(qemu: str, probe: Callable[[], bool] | None) -> Check:
    from cvmify.launch.accel import KVM_DEVICE

    fix = ("load kvm_intel or kvm_amd and make /dev/kvm readable and writable for you (the kvm group); "
           "without it cvmify run uses TCG, which is much slower")
    if not KVM_DEVICE.exists():
        return Check("kvm", WARN, f"{KVM_DEVICE} does not exist", fix)
    if not os.access(KVM_DEVICE, os.R_OK | os.W_OK):
        return Check("kvm", WARN, f"{KVM_DEVICE} is not readable and writable for this user", fix)
    if probe is None:
        return Check("kvm", OK, f"{KVM_DEVICE} is there and open to us (not probed: whether a guest runs is untested)")
    if probe():
        return Check("kvm", OK, "a guest ran under KVM (the accelerator probe passed)")
    return Check("kvm", WARN, f"{KVM_DEVICE} is there but a guest does not run under it (nested KVM?)", fix)


def check_tdx(qemu: str) -> Check:
    fix = ("a TDX host: a CPU and BIOS with TDX enabled, a kernel with kvm_intel tdx=Y and a QEMU with "
           "the tdx-guest object; --mode tdx is not there yet (docs/tdx.md)")
    param = Path("/sys/module/kvm_intel/parameters/tdx")
    host = param.is_file() and param.read_text().strip() in ("Y", "1")
    try:
        objects = subprocess.run([qemu, "-object", "help"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        objects = ""
    has_object = "tdx-guest" in objects
    detail = f"kvm_intel tdx: {'on' if host else 'off or absent'}; qemu tdx-guest: {'yes' if has_object else 'no'}"
    return Check("tdx host", OK if host and has_object else WARN, detail, fix)


def check_docker() -> Check:
    fix = ("install docker.io and start the daemon (scripts/dockerd.sh), or join the docker group; "
           "only docker-daemon: images need it (registries and archives do not)")
    try:
        import docker

        client = docker.from_env(timeout=10)
        try:
            version = client.version().get("Version", "?")
        finally:
            client.close()
    except Exception as e:  # any failure to reach the daemon
        return Check("docker daemon", WARN, f"not reachable ({type(e).__name__})", fix)
    return Check("docker daemon", OK, f"reachable, docker {version}")


def check_credentials() -> Check:
    from cvmify.image.auth import docker_config_path

    path = docker_config_path()
    if not path.is_file():
        return Check("registry credentials", OK, f"no {path}: anonymous pulls only",
                     "docker login REGISTRY, if an image needs credentials")
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        return Check("registry credentials", WARN, f"{path} is unreadable: {e}", "fix or remove the file")
    helpers = set(filter(None, [doc.get("credsStore")] + list((doc.get("credHelpers") or {}).values())))
    missing = sorted(h for h in helpers if shutil.which(f"docker-credential-{h}") is None)
    registries = sorted((doc.get("auths") or {}).keys()) + sorted((doc.get("credHelpers") or {}).keys())
    if missing:
        return Check("registry credentials", WARN, f"{path} names helpers that are not installed: "
                     + ", ".join(f"docker-credential-{h}" for h in missing),
                     "install the helper, or remove it from the config")
    detail = f"{path}: " + (", ".join(registries) if registries else "no registries") + (
        f"; helper {doc['credsStore']}" if doc.get("credsStore") else "")
    return Check("registry credentials", OK, detail)


def run_doctor(qemu: str, cache_dir: Path, probe_kvm: bool = True) -> DoctorResult:
    kernel = check_kernel()
    qemu_check = check_qemu(qemu)
    probe = None
    if probe_kvm and kernel.status == OK and qemu_check.status == OK:
        from cvmify.launch.accel import kvm_works

        probe = lambda: kvm_works(qemu, paths.kernel_path(), cache_dir)  # noqa: E731
    checks = [
        kernel,
        check_base_manifests(),
        qemu_check,
        check_kvm(qemu, probe),
        check_tdx(qemu) if qemu_check.status == OK else Check("tdx host", WARN, "no qemu to ask", qemu_check.fix),
        check_docker(),
        check_credentials(),
    ]
    return DoctorResult(checks)
