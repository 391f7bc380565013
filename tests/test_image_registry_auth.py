"""Registry references, auth challenges and credentials.

Credential helpers are fake `docker-credential-*` shell scripts put on
PATH. The bearer-token dance runs against a small HTTP registry in a
thread: Debian's docker-registry only does htpasswd (basic) auth without a
token server, so this stand-in serves an OCI layout behind a Bearer
challenge, and can be told to lie about a blob. Basic auth runs against
the real docker-registry with a bcrypt htpasswd file.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import bcrypt
import pytest
import requests

from cvmify.errors import CvmifyIOError, ExitCode, ImageNotFoundError, IntegrityError, UnsafeImageError, UsageError
from cvmify.image import credhelper
from cvmify.image.auth import load_credentials, parse_challenge
from cvmify.image.reference import parse_registry_ref
from cvmify.image.source import open_image, split_transport
from cvmify.image.unpack import unpack
from tests.conftest import unavailable
from tests.images.tarlayer import tar_layer
from tests.registry import REGISTRY_BINARY, LocalRegistry
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
        "tokens.example": {"identitytoken": "refresh-me"},
    }}))
    alice = load_credentials("localhost:5000")
    assert (alice.username, alice.password, alice.identity_token) == ("alice", "s3cr:et", None)
    assert "s3cr:et" not in repr(alice)
    bob = load_credentials("docker.io")
    assert (bob.username, bob.password) == ("bob", "pw")
    assert load_credentials("tokens.example").identity_token == "refresh-me"
    assert load_credentials("other:1") is None


# -- credential helpers: fake docker-credential-* scripts on PATH ----------------


HELPER_SCRIPT = """#!/bin/sh
# a stand-in docker credential helper: logs its arguments and stdin
server=$(cat)
echo "$* $server" >> {log}
{body}
"""


@pytest.fixture
def make_helper(tmp_path, monkeypatch):
    """make_helper("one", SHELL) writes docker-credential-one, running SHELL
    with $server set, into a directory at the front of PATH; returns the
    path of the log of its calls."""
    bin_dir = tmp_path / "helper-bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    def make(name: str, body: str) -> Path:
        log = tmp_path / f"{name}.log"
        script = bin_dir / f"docker-credential-{name}"
        script.write_text(HELPER_SCRIPT.format(log=log, body=body))
        script.chmod(0o755)
        return log

    return make


def answer(user: str, secret: str) -> str:
    """Shell that prints a helper's JSON answer."""
    return f"""printf '{{"ServerURL":"%s","Username":"{user}","Secret":"{secret}"}}' "$server" """


def write_config(directory: Path, doc: dict) -> None:
    directory.mkdir(exist_ok=True)
    (directory / "config.json").write_text(json.dumps(doc))


def test_credential_helper_order(tmp_path, monkeypatch, make_helper):
    """credHelpers for the host, else credsStore, else auths (docker's order)."""
    one_log = make_helper("one", answer("alice", "pw-one"))
    two_log = make_helper("two", answer("bob", "pw-two"))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "cfg"))
    inline = {"auth": base64.b64encode(b"carol:pw-inline").decode()}
    config = {"credHelpers": {"localhost:5000": "one"}, "credsStore": "two",
              "auths": {"localhost:5000": inline, "other:1": inline}}
    write_config(tmp_path / "cfg", config)

    creds = load_credentials("localhost:5000")
    assert (creds.username, creds.password) == ("alice", "pw-one")
    assert "docker-credential-one" in creds.source
    assert one_log.read_text() == "get localhost:5000\n"
    creds = load_credentials("other:1")
    assert (creds.username, creds.password) == ("bob", "pw-two")
    load_credentials("docker.io")
    assert two_log.read_text().splitlines() == ["get other:1", "get https://index.docker.io/v1/"]

    del config["credsStore"]
    write_config(tmp_path / "cfg", config)
    creds = load_credentials("other:1")
    assert (creds.username, creds.password) == ("carol", "pw-inline")
    assert load_credentials("localhost:5000").username == "alice"


def test_credential_helper_answers(tmp_path, monkeypatch, make_helper):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "cfg"))
    write_config(tmp_path / "cfg", {"credsStore": "store"})
    make_helper("store", answer("<token>", "refresh-123"))
    creds = load_credentials("localhost:5000")
    assert (creds.username, creds.password, creds.identity_token) == ("", "", "refresh-123")

    make_helper("store", 'echo "credentials not found in native keychain"; exit 1')
    assert load_credentials("localhost:5000") is None


@pytest.mark.parametrize("body, message", [
    ('echo "keychain locked" >&2; exit 3', r"docker-credential-bad failed for localhost:5000 \(exit 3\): keychain locked$"),
    ("""printf '{"Username":"u","Secret":"hunter2"'""", "printed no usable credentials"),
    ("""printf '{"Username":"u","Secret":"hunter2"}'; exit 1""", r"failed for localhost:5000 \(exit 1\)$"),
    ("""printf '{"Username":"u"}'""", "printed no usable credentials"),
    ("echo hunter2", "printed no usable credentials"),
])
def test_credential_helper_failures(tmp_path, monkeypatch, make_helper, caplog, body, message):
    """One clear line naming the helper, never the secret it printed."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "cfg"))
    write_config(tmp_path / "cfg", {"credHelpers": {"localhost:5000": "bad"}})
    make_helper("bad", body)
    with pytest.raises(CvmifyIOError, match=message) as failure:
        load_credentials("localhost:5000")
    assert "\n" not in str(failure.value)
    assert "hunter2" not in str(failure.value) and "hunter2" not in caplog.text


def test_credential_helper_missing_hung_or_misnamed(tmp_path, monkeypatch, make_helper):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "cfg"))
    write_config(tmp_path / "cfg", {"credsStore": "absent"})
    with pytest.raises(CvmifyIOError, match="docker-credential-absent .* is not on PATH"):
        load_credentials("localhost:5000")
    write_config(tmp_path / "cfg", {"credsStore": "../../bin/sh"})
    with pytest.raises(CvmifyIOError, match="unusable credential helper"):
        load_credentials("localhost:5000")
    monkeypatch.setattr(credhelper, "HELPER_TIMEOUT", 0.5)
    make_helper("slow", "exec sleep 30")
    write_config(tmp_path / "cfg", {"credsStore": "slow"})
    with pytest.raises(CvmifyIOError, match="docker-credential-slow did not answer"):
        load_credentials("localhost:5000")


# -- a token-protected stand-in registry ----------------------------------------


class FakeRegistry(ThreadingHTTPServer):
    def __init__(self, layout, repo: str):
        super().__init__(("127.0.0.1", 0), Handler)
        self.layout, self.repo = layout, repo
        self.token_requests: list[tuple[dict, str | None]] = []
        self.token_posts: list[dict] = []
        self.lie_about: str | None = None  # a digest whose blob is served wrong
        self.token_flood = 0  # > 0: the token answer is this many bytes, without a length
        self.token_bytes_sent = 0

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

    def flood(self, size: int) -> None:
        """A JSON answer of `size` bytes with no Content-Length (ends when
        the connection closes), counting what the client took."""
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b" " * 65536
        try:
            self.wfile.write(b'{"token": "')
            for _ in range(size // len(chunk)):
                self.wfile.write(chunk)
                self.server.token_bytes_sent += len(chunk)
        except OSError:
            pass  # the client hung up: that is what we want to see
        self.close_connection = True

    def do_POST(self) -> None:
        """OAuth2 token endpoint: an identity token is a refresh token."""
        if urlsplit(self.path).path != "/token":
            return self.reply(404)
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode())
        self.server.token_posts.append(form)
        if form.get("refresh_token") != ["refresh-123"]:
            return self.reply(401, b"{}")
        self.reply(200, json.dumps({"access_token": TOKEN}).encode())

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        srv = self.server
        if url.path == "/token":
            srv.token_requests.append((parse_qs(url.query), self.headers.get("Authorization")))
            if srv.token_flood:
                return self.flood(srv.token_flood)
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


def test_bearer_token_from_identity_token(fake_registry, tmp_path, monkeypatch, make_helper):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "cfg"))
    write_config(tmp_path / "cfg", {"credHelpers": {fake_registry.host: "tok"}})
    make_helper("tok", answer("<token>", "refresh-123"))
    reference = f"docker://{fake_registry.host}/secure/app:v1"
    with open_image(reference, tmp_path / "w1") as image:
        assert unpack(image, tmp_path / "s1").read("/hello") == b"from behind a token\n"
    assert fake_registry.token_requests == []
    assert fake_registry.token_posts == [{
        "scope": ["repository:secure/app:pull"], "service": ["fake"], "grant_type": ["refresh_token"],
        "refresh_token": ["refresh-123"], "client_id": ["cvmify"]}]

    make_helper("tok", answer("<token>", "revoked"))
    with pytest.raises(ImageNotFoundError, match="denied .*docker-credential-tok were rejected") as denied:
        open_image(reference, tmp_path / "w2")
    assert "revoked" not in str(denied.value)


def test_registry_serving_a_wrong_blob(fake_registry, tmp_path):
    fake_registry.lie_about = fake_registry.layout.layer_digests[0]
    with open_image(f"docker://{fake_registry.host}/secure/app:v1", tmp_path / "w") as image:
        with pytest.raises(IntegrityError, match="digest mismatch"):
            unpack(image, tmp_path / "s")
    fake_registry.lie_about = fake_registry.layout.config_digest
    with pytest.raises(IntegrityError, match="digest mismatch"):
        open_image(f"docker://{fake_registry.host}/secure/app:v1", tmp_path / "w2")


def test_token_answer_is_bounded_while_it_streams(fake_registry, tmp_path, monkeypatch):
    """A token server that sends 256 MiB: refused after about 1 MiB, not
    read whole first (issue 11, item 8)."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "empty-config"))
    fake_registry.token_flood = 256 << 20
    with pytest.raises(UnsafeImageError, match=r"token response from .*: larger than 1048576 bytes"):
        open_image(f"docker://{fake_registry.host}/secure/app:v1", tmp_path / "w")
    # what the kernel's socket buffers took after we hung up is a few MiB at most
    assert fake_registry.token_bytes_sent < 32 << 20


def test_missing_repository(fake_registry, tmp_path):
    with pytest.raises(ImageNotFoundError):
        open_image(f"docker://{fake_registry.host}/secure/other:v1", tmp_path / "w")


# -- a real registry with htpasswd (basic) auth -----------------------------------

PASSWORD = "correct horse"
PRIVATE_FILE = b"from behind a password\n"


@pytest.fixture(scope="module")
def basic_registry(tmp_path_factory) -> Iterator[LocalRegistry]:
    """Debian's docker-registry checking bcrypt htpasswd lines; holds
    private/app:v1, pushed over the distribution API with basic auth."""
    if not REGISTRY_BINARY.is_file():
        unavailable(f"{REGISTRY_BINARY} not found (apt package docker-registry)")
    home = tmp_path_factory.mktemp("basic-registry")
    line = "alice:" + bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    with LocalRegistry(home, htpasswd=line + "\n", auth=("alice", PASSWORD)) as started:
        layers = [tar_layer(lambda t: t.file("hello", PRIVATE_FILE))]
        started.push_layout(write_layout(home / "layout", layers, compress=True), "private/app", "v1")
        yield started


def basic_auths(directory: Path, registry: LocalRegistry, password: str) -> None:
    pair = base64.b64encode(f"alice:{password}".encode()).decode()
    write_config(directory, {"auths": {registry.host: {"auth": pair}}})


def test_basic_auth_registry_refuses_anonymous(basic_registry, tmp_path, monkeypatch):
    reply = requests.get(basic_registry.url("/v2/private/app/manifests/v1"), timeout=10)
    assert reply.status_code == 401 and reply.headers["WWW-Authenticate"].startswith("Basic ")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "none"))
    with pytest.raises(ImageNotFoundError, match="wants basic auth and we have no credentials"):
        open_image(f"docker://{basic_registry.reference('private/app', 'v1')}", tmp_path / "w")


def test_basic_auth_from_auths_entry(basic_registry, tmp_path, monkeypatch):
    basic_auths(tmp_path / "cfg", basic_registry, PASSWORD)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "cfg"))
    with open_image(f"docker://{basic_registry.reference('private/app', 'v1')}", tmp_path / "w") as image:
        assert unpack(image, tmp_path / "s").read("/hello") == PRIVATE_FILE


def test_basic_auth_through_credential_helper(basic_registry, tmp_path, monkeypatch, make_helper):
    basic_auths(tmp_path / "cfg", basic_registry, "wrong")  # credsStore wins over auths
    config = json.loads((tmp_path / "cfg" / "config.json").read_text())
    write_config(tmp_path / "cfg", dict(config, credsStore="vault"))
    log = make_helper("vault", answer("alice", PASSWORD))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "cfg"))
    with open_image(f"docker://{basic_registry.reference('private/app', 'v1')}", tmp_path / "w") as image:
        assert unpack(image, tmp_path / "s").read("/hello") == PRIVATE_FILE
    assert log.read_text() == f"get {basic_registry.host}\n"


def test_wrong_password_is_one_line_and_exit_3(basic_registry, tmp_path):
    """A rejected password reads as 'image not found' (exit 3), as a
    registry cannot tell 'no such image' from 'not for you' either."""
    basic_auths(tmp_path / "cfg", basic_registry, "not-the-password")
    env = dict(os.environ, DOCKER_CONFIG=str(tmp_path / "cfg"))
    done = subprocess.run([sys.executable, "-m", "cvmify", "manifest",
                           f"docker://{basic_registry.reference('private/app', 'v1')}"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == ExitCode.IMAGE_NOT_FOUND, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cvmify: error: "), done.stderr
    assert "access denied" in lines[0] and f"{tmp_path / 'cfg' / 'config.json'} (auths) were rejected" in lines[0]
    assert "not-the-password" not in done.stderr + done.stdout
