"""Shared fixtures: the docker daemon, the test images, a local registry
and the kernel.

Everything here is real: images are built by the docker daemon
(tests/images/build.py, cached by content hash), the registry is Debian's
docker-registry binary on a free localhost port (tests/registry.py), the
kernel comes from `make -C kernel` (booted by the helpers of
tests/guest.py). We do not use pytest-docker: it drives docker-compose
files, and we run no compose services; we need images from our own
recipes and one registry process, which a plain fixture does directly.

Without a docker daemon, docker tests are skipped, except under CI
(CI=true), where a missing daemon is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Callable, Iterator

import docker
import pytest

from tests.guest import build_guest_image
from tests.images import build as images
from tests.images import cache
from tests.registry import REGISTRY_BINARY, LocalRegistry

REPO_ROOT = Path(__file__).resolve().parent.parent
KERNEL_DIR = REPO_ROOT / "kernel"
KERNEL_ELF = KERNEL_DIR / "build" / "cvmify-kernel.elf"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI: CI must never pass by skipping."""
    if in_ci():
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


def require_tools(*names: str) -> None:
    """Host programs a test needs: skipped locally without them, failed in CI."""
    for name in names:
        if shutil.which(name) is None:
            unavailable(f"needs {name} on PATH")


@pytest.fixture
def qemu_and_toolchain() -> None:
    require_tools("qemu-system-x86_64", "gcc", "ld")


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
netservers_image = image_fixture("netservers", "netservers_image")


# -- a real local registry (tests/registry.py) ---------------------------------


@contextmanager
def running_registry(home: Path, hostname: str = "localhost",
                     docker_client: docker.DockerClient | None = None) -> Iterator[LocalRegistry]:
    """A started LocalRegistry for one fixture; skipped (failed in CI)
    when the docker-registry binary is not installed."""
    if not REGISTRY_BINARY.is_file():
        unavailable(f"{REGISTRY_BINARY} not found (apt package docker-registry)")
    with LocalRegistry(home, hostname, docker_client) as started:
        yield started


@pytest.fixture(scope="session")
def registry(docker_client, tmp_path_factory) -> Iterator[LocalRegistry]:
    """The shared registry; images go in with `registry.push(tag, repo)`."""
    with running_registry(tmp_path_factory.mktemp("registry"),
                          docker_client=docker_client) as started:
        yield started


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


@pytest.fixture(scope="session")
def kernel(request) -> Path:
    """The kernel the guest tests boot: `make -C kernel` (cvmify_kernel),
    or an ELF named by CVMIFY_TEST_KERNEL when iterating on the kernel
    (e.g. one built with `make -C kernel BUILD=/tmp/kb`)."""
    override = os.environ.get("CVMIFY_TEST_KERNEL")
    if override:
        return Path(override)
    return request.getfixturevalue("cvmify_kernel")


@pytest.fixture(scope="session")
def guest_image(docker_client, tmp_path_factory) -> str:
    """The kernel/tests/guest programs, compiled static, in an image FROM
    scratch (tests/guest.py)."""
    return build_guest_image(docker_client, tmp_path_factory.mktemp("guest-image"))


@pytest.fixture
def tmp_bundle_dir(tmp_path) -> Path:
    """A path for `cvmify build -o`: its parent exists, it does not."""
    return tmp_path / "out.bundle"
