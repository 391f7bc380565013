"""A real local registry for the tests: Debian's docker-registry binary.

`LocalRegistry` runs one registry process on a free loopback port, with
its storage in a directory the tests may read and tamper with
(`storage`, `blob_data`). Images go in two ways: through the docker
daemon (`push`, as a user would), or by hand over the distribution API
(`push_layout`, `put_manifest`) for layouts the daemon cannot make.
The fixtures that start one live in tests/conftest.py (`registry`) and
tests/test_image_support.py (`local_registry`).
"""

from __future__ import annotations

import hashlib
import socket
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import docker
import requests

if TYPE_CHECKING:
    from tests.test_image_support import Layout

REGISTRY_BINARY = Path("/usr/bin/docker-registry")
START_SECONDS = 30  # a guard against a registry that never answers
STOP_SECONDS = 10

CONFIG = """\
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

# appended to CONFIG when the registry checks passwords (bcrypt lines only)
HTPASSWD_CONFIG = """\
auth:
  htpasswd:
    realm: cvmify-test
    path: {path}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def blob_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class LocalRegistry:
    """One registry process; a context manager that starts and stops it.

    `hostname` only changes how references spell the registry
    ("localhost" or "127.0.0.1"); it always listens on 127.0.0.1. The
    docker daemon treats loopback registries as insecure, so it pushes
    over plain http. `docker_client` is needed only by `push`.

    With `htpasswd` (the text of an htpasswd file) every request needs
    basic auth; `auth` is then the (user, password) our own requests use."""

    def __init__(self, home: Path, hostname: str = "localhost",
                 docker_client: docker.DockerClient | None = None,
                 htpasswd: str | None = None, auth: tuple[str, str] | None = None):
        self.home = home
        self.storage = home / "storage"
        self.port = free_port()
        self.host = f"{hostname}:{self.port}"
        self.docker_client = docker_client
        self.htpasswd, self.auth = htpasswd, auth
        self._proc: subprocess.Popen | None = None

    # -- the process ----------------------------------------------------------

    def start(self) -> None:
        config = self.home / "config.yml"
        text = CONFIG.format(storage=self.storage, port=self.port)
        if self.htpasswd is not None:
            (self.home / "htpasswd").write_text(self.htpasswd)
            text += HTPASSWD_CONFIG.format(path=self.home / "htpasswd")
        config.write_text(text)
        log_path = self.home / "registry.log"
        with open(log_path, "wb") as log:
            self._proc = subprocess.Popen([str(REGISTRY_BINARY), "serve", str(config)],
                                          stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self._wait_ready(log_path)

    def _wait_ready(self, log_path: Path) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"docker-registry exited ({self._proc.returncode}): "
                                   f"{log_path.read_text()}")
            try:
                reply = requests.get(f"http://127.0.0.1:{self.port}/v2/", auth=self.auth, timeout=2)
                if reply.status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"docker-registry did not answer within {START_SECONDS}s")

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def __enter__(self) -> LocalRegistry:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- names and storage ------------------------------------------------------

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def reference(self, repo: str, tag: str = "latest") -> str:
        return f"{self.host}/{repo}:{tag}"

    def blob_data(self, digest: str) -> Path:
        """Where the registry stores the bytes of blob `digest`."""
        hex_part = digest.split(":", 1)[1]
        return self.storage / "docker/registry/v2/blobs/sha256" / hex_part[:2] / hex_part / "data"

    # -- through the docker daemon -----------------------------------------------

    def push(self, image_tag: str, repo: str, tag: str = "latest") -> str:
        """Push local image `image_tag` as `repo:tag`; returns the manifest
        digest the registry stored ("sha256:...")."""
        if self.docker_client is None:
            raise RuntimeError("push: this registry was started without a docker client")
        client = self.docker_client
        target = f"{self.host}/{repo}"
        client.images.get(image_tag).tag(target, tag)
        digest = None
        try:
            for entry in client.api.push(target, tag=tag, stream=True, decode=True):
                if "error" in entry:
                    raise RuntimeError(f"push {target}:{tag}: {entry['error']}")
                aux = entry.get("aux")
                if isinstance(aux, dict) and "Digest" in aux:
                    digest = aux["Digest"]
        finally:
            client.api.remove_image(f"{target}:{tag}", noprune=True)
        if digest is None:
            raise RuntimeError(f"push {target}:{tag}: the daemon reported no digest")
        return digest

    # -- by hand, over the distribution API ----------------------------------------

    def upload_blob(self, repo: str, data: bytes) -> str:
        digest = blob_digest(data)
        start = requests.post(self.url(f"/v2/{repo}/blobs/uploads/"), auth=self.auth, timeout=30)
        assert start.status_code == 202, start.text
        location = start.headers["Location"]
        if location.startswith("/"):
            location = self.url(location)
        sep = "&" if "?" in location else "?"
        done = requests.put(f"{location}{sep}digest={digest}", data=data, auth=self.auth, timeout=60,
                            headers={"Content-Type": "application/octet-stream"})
        assert done.status_code == 201, done.text
        return digest

    def put_manifest(self, repo: str, tag: str, body: bytes, media_type: str) -> str:
        reply = requests.put(self.url(f"/v2/{repo}/manifests/{tag}"), data=body, auth=self.auth,
                             headers={"Content-Type": media_type}, timeout=30)
        assert reply.status_code == 201, reply.text
        return blob_digest(body)

    def push_layout(self, layout: Layout, repo: str, tag: str) -> None:
        """Push every blob of an OCI layout, then its manifest under `tag`."""
        for blob in sorted((layout.path / "blobs" / "sha256").iterdir()):
            if ("sha256:" + blob.name) != layout.manifest_digest:
                self.upload_blob(repo, blob.read_bytes())
        manifest = layout.blob(layout.manifest_digest).read_bytes()
        self.put_manifest(repo, tag, manifest, layout.manifest_media_type)
