"""Installing cvmify as a user would: the wheel (scripts/build-wheel.sh)
into a fresh venv outside the checkout, then `cvmify version`, `doctor`,
`build` and `run` from there; and `cvmify doctor` on a machine that lacks
things."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from cvmify.commands import doctor
from tests.guest import REPO_ROOT, RUN_TIMEOUT


def outside_env(home: Path) -> dict[str, str]:
    """Our environment without anything that points into the checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CVMIFY_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), XDG_STATE_HOME=str(home / ".state"))
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory, cvmify_kernel) -> tuple[Path, dict[str, str]]:
    """A fresh venv with the wheel installed; its `cvmify` and environment."""
    base = tmp_path_factory.mktemp("install")
    built = subprocess.run([str(REPO_ROOT / "scripts" / "build-wheel.sh"), str(base / "dist")],
                           capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert built.returncode == 0, built.stderr
    wheel = next((base / "dist").glob("cvmify-*.whl"))
    venv.EnvBuilder(with_pip=True, clear=True).create(base / "venv")
    env = outside_env(base / "home")
    pip = subprocess.run([str(base / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                         capture_output=True, text=True, env=env, cwd=base, timeout=RUN_TIMEOUT)
    assert pip.returncode == 0, pip.stderr
    return base / "venv" / "bin" / "cvmify", env


def run(cvmify: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(cvmify), *args], capture_output=True, text=True, env=env,
                          cwd=cvmify.parent.parent.parent, timeout=RUN_TIMEOUT)


def test_the_wheel_carries_the_kernel_and_reports_its_hash(installed, cvmify_kernel):
    cvmify, env = installed
    version = json.loads(run(cvmify, env, "version", "--json").stdout)["result"]
    kernel = Path(version["kernel"]["path"])
    assert "site-packages" in kernel.parts and REPO_ROOT not in kernel.parents
    assert version["kernel"]["sha384"] == hashlib.sha384(cvmify_kernel.read_bytes()).hexdigest()
    assert "site-packages" in version["base_manifests"]


def test_doctor_from_the_wheel(installed):
    cvmify, env = installed
    result = run(cvmify, env, "doctor", "--no-probe", "--json")
    checks = {c["name"]: c for c in json.loads(result.stdout)["result"]["checks"]}
    assert checks["kernel"]["status"] == checks["base manifests"]["status"] == checks["qemu"]["status"] == "ok"
    assert result.returncode == 0, result.stdout


def test_build_and_run_from_the_wheel(installed, hello_example):
    cvmify, env = installed
    bundle = cvmify.parent.parent.parent / "hello.bundle"
    built = run(cvmify, env, "build", f"docker-daemon:{hello_example}", "-o", str(bundle))
    assert built.returncode == 0, built.stderr
    ran = run(cvmify, env, "run", str(bundle), "--accel", "tcg")
    assert ran.returncode == 0, ran.stderr
    assert "Hello" in ran.stdout


# -- doctor on a machine that lacks things ---------------------------------------


def test_doctor_without_qemu_fails_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("CVMIFY_QEMU", str(tmp_path / "no-qemu"))
    result = subprocess.run([sys.executable, "-m", "cvmify", "doctor", "--no-probe"], capture_output=True,
                            text=True, cwd=REPO_ROOT, timeout=RUN_TIMEOUT)
    assert result.returncode == 1
    assert "fail  qemu:" in result.stdout and "fix: apt-get install qemu-system-x86" in result.stdout


def test_doctor_without_a_docker_daemon_warns(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    check = doctor.check_docker()
    assert check.status == doctor.WARN and "scripts/dockerd.sh" in check.fix


def test_doctor_names_a_missing_credential_helper(tmp_path, monkeypatch):
    (tmp_path / "config.json").write_text(json.dumps({"credsStore": "nosuchhelper", "auths": {"r.example": {}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    check = doctor.check_credentials()
    assert check.status == doctor.WARN and "docker-credential-nosuchhelper" in check.detail
    (tmp_path / "config.json").write_text(json.dumps({"auths": {"r.example": {"auth": "eDp5"}}}))
    assert doctor.check_credentials().status == doctor.OK


def test_doctor_without_a_kernel_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(doctor.paths, "DEFAULT_KERNEL", tmp_path / "none.elf")
    monkeypatch.setattr(doctor.paths, "PACKAGED_KERNEL", tmp_path / "none2.elf")
    monkeypatch.delenv("CVMIFY_KERNEL", raising=False)
    check = doctor.check_kernel()
    assert check.status == doctor.FAIL and "make -C kernel" in check.fix
