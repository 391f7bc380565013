"""Registry references, auth challenges and credentials.

The bearer-token dance runs against a small HTTP registry in a thread:
Debian's docker-registry only does htpasswd (basic) auth without a token
server, so this stand-in serves an OCI layout behind a Bearer challenge,
and can be told to lie about a blob.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from cvmify.errors import ImageNotFoundError, IntegrityError, UsageError
from cvmify.image.auth import load_credentials, parse_challenge
from cvmify.image.reference import parse_registry_ref
from cvmify.image.source import open_image, split_transport
from cvmify.image.unpack import unpack
from tests.images.tarlayer import tar_layer
from tests.test_image_support import write_layout

TOKEN = "t0ken"


def test_split_transport():
    assert split_transport("docker://localhost:5000/a/b:1") == ("docker", "localhost:5000/a/b:1")
    assert split_transport("docker-daemon:busybox") == ("docker-daemon", "busybox")
    assert split_transport("oci:/x/y:tag") == ("oci", "/x/y:tag")
    assert split_transport("oci-archive:/x.tar") == ("oci-archive", "/x.tar")
    assert split_transport("docker-archive:/x.tar:a:b") == ("docker-archive", "/x.tar:a:b")
    assert split_transport("localhost:5000/x:y") == ("", "localhost:5000/x:y")
    assert split_transport("busybox:latest") == ("", "busybox:latest")


def test_registry_references():
    ref = parse_registry_ref("localhost:5000/team/app:v1")
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == ("localhost:5000", "team/app", "v1", None)
    assert ref.scheme == "http" and ref.reference == "v1"
    ref = parse_registry_ref("busybox")
    assert (ref.registry, ref.repository, ref.tag) == ("docker.io", "library/busybox", "latest")
    assert ref.host == "registry-1.docker.io" and ref.scheme == "https"
    digest = "sha256:" + "a" * 64
    ref = parse_registry_ref(f"registry.example.com:443/x@{digest}")
    assert ref.scheme == "https" and ref.reference == digest and ref.tag is None
    assert parse_registry_ref("127.0.0.1:1/x").scheme == "http"
    assert parse_registry_ref("[::1]:5000/x").scheme == "http"
    for bad in ("localhost:5000/UPPER:x", "x:bad/tag", "x:t@g", "host.example/../x", "a//b"):
        with pytest.raises(UsageError):
            parse_registry_ref(bad)
    with pytest.raises(UsageError, match="malformed digest"):
        parse_registry_ref("x@sha256:../../etc")


def test_parse_challenge():
    scheme, params = parse_challenge(
        'Bearer realm="https://auth.example/token",service="registry.example",'
        'scope="repository:samalba/my-app:pull,push"')
    assert scheme == "bearer"
    assert params == {"realm": "https://auth.example/token", "service": "registry.example",
                      "scope": "repository:samalba/my-app:pull,push"}
    assert parse_challenge('Basic realm="x \\"y\\""') == ("basic", {"realm": 'x "y"'})


def test_credentials_from_docker_config(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    assert load_credentials("localhost:5000") is None
    auth = base64.b64encode(b"alice:s3cr:et").decode()
    (tmp_path / "config.json").write_text(json.dumps({"auths": {
        "http://localhost:5000": {"auth": auth},
        "https://index.docker.io/v1/": {"auth": base64.b64encode(b"bob:pw").decode()},
    }}))
    assert load_credentials("localhost:5000") == ("alice", "s3cr:et")
    assert load_credentials("docker.io") == ("bob", "pw")
    assert load_credentials("other:1") is None


# -- a token-protected stand-in registry ----------------------------------------


class FakeRegistry(ThreadingHTTPServer):
    def __init__(self, layout, repo: str):
        super().__init__(("127.0.0.1", 0), Handler)
        self.layout, self.repo = layout, repo
        self.token_requests: list[tuple[dict, str | None]] = []
        self.lie_about: str | None = None  # a digest whose blob is served wrong

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: FakeRegistry

    def log_message(self, *args) -> None:
        pass

    def reply(self, code: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        srv = self.server
        if url.path == "/token":
            srv.token_requests.append((parse_qs(url.query), self.headers.get("Authorization")))
            return self.reply(200, json.dumps({"token": TOKEN}).encode())
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            challenge = (f'Bearer realm="http://{srv.host}/token",service="fake",'
                         f'scope="repository:{srv.repo}:pull"')
            return self.reply(401, b"{}", {"WWW-Authenticate": challenge})
        prefix = f"/v2/{srv.repo}/"
        kind, _, ref = url.path.removeprefix(prefix).partition("/")
        if ref == "v1":
            ref = srv.layout.manifest_digest
        blob = srv.layout.blob(ref) if ref.startswith("sha256:") else None
        if not url.path.startswith(prefix) or blob is None or not blob.exists():
            return self.reply(404)
        data = blob.read_bytes()
        if ref == srv.lie_about:
            data = data[:-1] + bytes([data[-1] ^ 1])
        content_type = "application/vnd.oci.image.manifest.v1+json" if kind == "manifests" else "application/octet-stream"
        self.reply(200, data, {"Content-Type": content_type})


@pytest.fixture
def fake_registry(tmp_path):
    layers = [tar_layer(lambda t: t.file("hello", b"from behind a token\n"))]
    server = FakeRegistry(write_layout(tmp_path / "layout", layers, compress=True), "secure/app")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_bearer_token_anonymous_and_with_credentials(fake_registry, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "empty-config"))
    reference = f"docker://{fake_registry.host}/secure/app:v1"
    with open_image(reference, tmp_path / "w1") as image:
        assert unpack(image, tmp_path / "s1").read("/hello") == b"from behind a token\n"
    query, auth = fake_registry.token_requests[0]
    assert query == {"scope": ["repository:secure/app:pull"], "service": ["fake"]}
    assert auth is None

    (tmp_path / "config").mkdir()
    secret = base64.b64encode(b"alice:pw").decode()
    (tmp_path / "config" / "config.json").write_text(
        json.dumps({"auths": {fake_registry.host: {"auth": secret}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "config"))
    with open_image(reference, tmp_path / "w2"):
        pass
    assert fake_registry.token_requests[-1][1] == f"Basic {secret}"


def test_registry_serving_a_wrong_blob(fake_registry, tmp_path):
    fake_registry.lie_about = fake_registry.layout.layer_digests[0]
    with open_image(f"docker://{fake_registry.host}/secure/app:v1", tmp_path / "w") as image:
        with pytest.raises(IntegrityError, match="digest mismatch"):
            unpack(image, tmp_path / "s")
    fake_registry.lie_about = fake_registry.layout.config_digest
    with pytest.raises(IntegrityError, match="digest mismatch"):
        open_image(f"docker://{fake_registry.host}/secure/app:v1", tmp_path / "w2")


def test_missing_repository(fake_registry, tmp_path):
    with pytest.raises(ImageNotFoundError):
        open_image(f"docker://{fake_registry.host}/secure/other:v1", tmp_path / "w")
