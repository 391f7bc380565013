"""Shared fixtures: the docker daemon, the test images, a local registry
and the kernel.

Everything here is real: images are built by the docker daemon
(tests/images/build.py, cached by content hash), the registry is Debian's
docker-registry binary on a free localhost port, the kernel comes from
`make -C kernel`. We do not use pytest-docker: it drives docker-compose
files, and we run no compose services; we need images from our own
recipes and one registry process, which a plain fixture does directly.

Without a docker daemon, docker tests are skipped, except under CI
(CI=true), where a missing daemon is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable, Iterator

import docker
import pytest
import requests

from tests.images import build as images
from tests.images import cache

REPO_ROOT = Path(__file__).resolve().parent.parent
KERNEL_DIR = REPO_ROOT / "kernel"
KERNEL_ELF = KERNEL_DIR / "build" / "cvmify-kernel.elf"
REGISTRY_BINARY = Path("/usr/bin/docker-registry")
REGISTRY_START_SECONDS = 30


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI: CI must never pass by skipping."""
    if in_ci():
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


# -- docker and the test images -------------------------------------------


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env(timeout=1800)
        client.ping()
    except Exception as exc:  # any failure to reach the daemon means "no docker"
        unavailable(f"no docker daemon reachable ({exc}); start one with scripts/dockerd.sh")
    yield client
    client.close()


@pytest.fixture(scope="session")
def image_tag(docker_client) -> Callable[[str], str]:
    """`image_tag("busybox")` -> exact tag of that image, built if needed.
    Names: see `python -m tests.images.build --list`."""

    def get(name: str) -> str:
        return images.ensure(name, docker_client).tag

    return get


def image_fixture(image: str, fixture_name: str):
    """A session fixture returning the exact tag (`REPO:h-<hash>`) of one
    image. `REPO:latest` names the same image once it has run."""

    @pytest.fixture(scope="session", name=fixture_name)
    def fixture(image_tag) -> str:
        return image_tag(image)

    return fixture


busybox_image = image_fixture("busybox", "busybox_image")
debian_image = image_fixture("debian", "debian_image")
python3_image = image_fixture("python3", "python3_image")
layers_image = image_fixture("layers", "layers_image")
nonroot_image = image_fixture("nonroot", "nonroot_image")
script_image = image_fixture("script", "script_image")
cprogs_image = image_fixture("cprogs", "cprogs_image")
hello_example = image_fixture("hello", "hello_example")
python_app_example = image_fixture("python-app", "python_app_example")


# -- a real local registry -------------------------------------------------
# free_port, REGISTRY_CONFIG, wait_for_registry and unavailable are also
# imported by tests/test_image_support.py (a registry with auth): keep them.


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


REGISTRY_CONFIG = """\
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


@dataclass
class LocalRegistry:
    """A running registry. The docker daemon treats localhost registries as
    insecure, so it pushes to it over plain http."""

    host: str  # "localhost:PORT"
    client: docker.DockerClient

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def reference(self, repo: str, tag: str = "latest") -> str:
        return f"{self.host}/{repo}:{tag}"

    def push(self, image_tag: str, repo: str, tag: str = "latest") -> str:
        """Push local image `image_tag` as `repo:tag`; returns the manifest
        digest the registry stored ("sha256:...")."""
        target = f"{self.host}/{repo}"
        self.client.images.get(image_tag).tag(target, tag)
        digest = None
        try:
            for entry in self.client.api.push(target, tag=tag, stream=True, decode=True):
                if "error" in entry:
                    raise RuntimeError(f"push {target}:{tag}: {entry['error']}")
                aux = entry.get("aux")
                if isinstance(aux, dict) and "Digest" in aux:
                    digest = aux["Digest"]
        finally:
            self.client.api.remove_image(f"{target}:{tag}", noprune=True)
        if digest is None:
            raise RuntimeError(f"push {target}:{tag}: the daemon reported no digest")
        return digest


def wait_for_registry(proc: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + REGISTRY_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"docker-registry exited ({proc.returncode}): {log_path.read_text()}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/v2/", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"docker-registry did not answer within {REGISTRY_START_SECONDS}s")


@pytest.fixture(scope="session")
def registry(docker_client, tmp_path_factory) -> Iterator[LocalRegistry]:
    if not REGISTRY_BINARY.is_file():
        unavailable(f"{REGISTRY_BINARY} not found (apt package docker-registry)")
    home = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = home / "config.yml"
    config.write_text(REGISTRY_CONFIG.format(storage=home / "storage", port=port))
    log_path = home / "registry.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(REGISTRY_BINARY), "serve", str(config)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        wait_for_registry(proc, port, log_path)
        yield LocalRegistry(f"localhost:{port}", docker_client)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- the kernel and bundles --------------------------------------------------


@pytest.fixture(scope="session")
def cvmify_kernel() -> Path:
    """kernel/build/cvmify-kernel.elf, (re)built with `make -C kernel`."""
    if not (KERNEL_DIR / "Makefile").is_file():
        pytest.fail("cvmify_kernel: kernel/Makefile does not exist, so there is no "
                    "kernel to boot", pytrace=False)
    with cache.build_lock("kernel"):  # pytest and a CI prebuild may race
        result = subprocess.run(["nice", "make", "-C", str(KERNEL_DIR)],
                                capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        pytest.fail(f"cvmify_kernel: make -C kernel failed ({result.returncode}):\n{tail}",
                    pytrace=False)
    if not KERNEL_ELF.is_file():
        pytest.fail(f"cvmify_kernel: make succeeded but {KERNEL_ELF} is missing", pytrace=False)
    return KERNEL_ELF


@pytest.fixture
def tmp_bundle_dir(tmp_path) -> Path:
    """A path for `cvmify build -o`: its parent exists, it does not."""
    return tmp_path / "out.bundle"
