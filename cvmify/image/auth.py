"""Registry authentication: the WWW-Authenticate challenge and its answer.

A registry answers 401 with a challenge:
    Bearer realm="https://auth.example/token",service="reg",scope="repository:x:pull"
    Basic realm="..."
For Bearer we ask the realm for a token (anonymously, with basic
credentials, or by POSTing an identity token as an OAuth2 refresh token);
for Basic we send the credentials themselves. Credentials come from the
docker client config: a credential helper (credhelper.py) or an inline
`auths` entry. They are never sent over plain http except to a loopback
host, and never appear in errors or logs.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import requests

from cvmify.errors import CvmifyIOError, ImageNotFoundError
from cvmify.image.credhelper import Credentials, run_helper
from cvmify.image.http import read_limited
from cvmify.image.reference import DOCKER_HUB, LOOPBACK

log = logging.getLogger(__name__)

_PARAM = re.compile(r'\s*([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?')
HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")
MAX_TOKEN_RESPONSE = 1 << 20
CLIENT_ID = "cvmify"  # OAuth2 client_id sent with an identity token


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """'Bearer realm="x",service="y"' -> ('bearer', {'realm': 'x', 'service': 'y'})."""
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        match = _PARAM.match(rest, pos)
        if match is None or match.end() == pos:
            break
        value = match.group(2) if match.group(2) is not None else match.group(3)
        params[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", value)
        pos = match.end()
    return scheme.lower(), params


def docker_config_path() -> Path:
    base = os.environ.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def _key_host(key: str) -> str:
    """'https://host:5000/v1/' -> 'host:5000'."""
    return urlsplit(key).netloc if "://" in key else key.split("/", 1)[0]


def _read_config() -> tuple[Path, dict]:
    path = docker_config_path()
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return path, {}
    except (OSError, ValueError) as e:
        log.warning("ignoring %s: %s", path, e)
        return path, {}
    if not isinstance(doc, dict):
        log.warning("ignoring %s: not a JSON object", path)
        return path, {}
    return path, doc


def _matching(table: object, registry: str) -> list:
    """The values of a config table (auths, credHelpers) whose key names `registry`."""
    if not isinstance(table, dict):
        return []
    wanted = set(HUB_KEYS) if registry == DOCKER_HUB else {registry}
    return [value for key, value in table.items() if key in wanted or _key_host(key) in wanted]


def helper_server(registry: str) -> str:
    """What docker writes to a helper's stdin: the v1 URL for Docker Hub,
    else the registry host[:port]."""
    return HUB_KEYS[0] if registry == DOCKER_HUB else registry


def _from_auths(path: Path, doc: dict, registry: str) -> Credentials | None:
    for entry in _matching(doc.get("auths"), registry):
        if not isinstance(entry, dict):
            continue
        source = f"{path} (auths)"
        token = entry.get("identitytoken")
        if isinstance(token, str) and token:
            return Credentials("", identity_token=token, source=source)
        if isinstance(entry.get("auth"), str) and entry["auth"]:
            try:
                user, _, password = base64.b64decode(entry["auth"], validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise CvmifyIOError(f"{path}: unreadable auth entry for {registry}") from None
            return Credentials(user, password=password, source=source)
    return None


def load_credentials(registry: str) -> Credentials | None:
    """The credentials for `registry` from the docker client config, in
    docker's order: its `credHelpers` entry, else `credsStore`, else the
    `auths` entry. A helper that applies has the last word: if it has
    nothing, we go anonymous, as docker does."""
    path, doc = _read_config()
    helpers = [h for h in _matching(doc.get("credHelpers"), registry) if h]
    helper = helpers[0] if helpers else doc.get("credsStore")
    if helper:
        return run_helper(helper, helper_server(registry))
    return _from_auths(path, doc, registry)


def may_send_credentials(url: str) -> bool:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return parts.scheme == "https" or host in LOOPBACK or f"[{host}]" in LOOPBACK


def _token_request(session: requests.Session, realm: str, query: dict[str, str],
                   credentials: Credentials | None, timeout: float) -> requests.Response:
    """An identity token is an OAuth2 refresh token: POSTed to the realm.
    Otherwise a GET, with basic credentials if we have a password."""
    if credentials is not None and credentials.identity_token:
        form = dict(query, grant_type="refresh_token", refresh_token=credentials.identity_token,
                    client_id=CLIENT_ID)
        return session.post(realm, data=form, timeout=timeout, stream=True)
    auth = (credentials.username, credentials.password) if credentials is not None else None
    return session.get(realm, params=query, auth=auth, timeout=timeout, stream=True)


def fetch_token(session: requests.Session, params: dict[str, str], scope: str,
                credentials: Credentials | None, timeout: float) -> str:
    realm = params.get("realm", "")
    if urlsplit(realm).scheme not in ("http", "https"):
        raise CvmifyIOError(f"registry sent an unusable token realm {realm!r}")
    query = {"scope": params.get("scope", scope)}
    if "service" in params:
        query["service"] = params["service"]
    if credentials is not None and not may_send_credentials(realm):
        log.warning("not sending credentials to the plain-http token realm %s", realm)
        credentials = None
    try:
        response = _token_request(session, realm, query, credentials, timeout)
    except requests.RequestException as e:
        raise CvmifyIOError(f"token request to {realm} failed: {type(e).__name__}") from None
    with response:  # streamed: the body is read only below, within its limit
        if response.status_code in (401, 403):
            who = f"the credentials from {credentials.source} were rejected" if credentials else "anonymous"
            raise ImageNotFoundError(f"token request to {realm} denied ({response.status_code}): {who}")
        if response.status_code != 200:
            raise CvmifyIOError(f"token request to {realm}: HTTP {response.status_code}")
        data = read_limited(response, MAX_TOKEN_RESPONSE, f"token response from {realm}")
    try:
        body = json.loads(data)
    except ValueError:
        raise CvmifyIOError(f"token request to {realm}: not JSON") from None
    token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise CvmifyIOError(f"token request to {realm}: no token in the answer")
    return token
