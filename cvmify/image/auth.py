"""Registry authentication: the WWW-Authenticate challenge and its answer.

A registry answers 401 with a challenge:
    Bearer realm="https://auth.example/token",service="reg",scope="repository:x:pull"
    Basic realm="..."
For Bearer we ask the realm for a token (anonymously, or with basic
credentials when ~/.docker/config.json has some for this registry); for
Basic we send the credentials themselves. Credentials are never sent over
plain http except to a loopback host.
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
from cvmify.image.reference import DOCKER_HUB, LOOPBACK

log = logging.getLogger(__name__)

_PARAM = re.compile(r'\s*([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?')
HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")
MAX_TOKEN_RESPONSE = 1 << 20


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


def load_credentials(registry: str) -> tuple[str, str] | None:
    """(user, password) for `registry` from the docker client config, if any.
    Credential helpers (credsStore) are not run; we say so and go anonymous."""
    path = docker_config_path()
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        log.warning("ignoring %s: %s", path, e)
        return None
    auths = doc.get("auths") if isinstance(doc, dict) else None
    wanted = set(HUB_KEYS) if registry == DOCKER_HUB else {registry}
    for key, entry in (auths or {}).items():
        if _key_host(key) not in wanted and key not in wanted:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("auth"), str):
            try:
                user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                log.warning("%s: unreadable auth entry for %s", path, key)
                return None
            return user, password
    if isinstance(doc, dict) and (doc.get("credsStore") or doc.get("credHelpers")):
        log.info("%s uses a credential helper, which cvmify does not run; pulling anonymously", path)
    return None


def may_send_credentials(url: str) -> bool:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return parts.scheme == "https" or host in LOOPBACK or f"[{host}]" in LOOPBACK


def fetch_token(session: requests.Session, params: dict[str, str], scope: str,
                credentials: tuple[str, str] | None, timeout: float) -> str:
    realm = params.get("realm", "")
    if urlsplit(realm).scheme not in ("http", "https"):
        raise CvmifyIOError(f"registry sent an unusable token realm {realm!r}")
    query = {"scope": params.get("scope", scope)}
    if "service" in params:
        query["service"] = params["service"]
    auth = credentials if credentials and may_send_credentials(realm) else None
    try:
        response = session.get(realm, params=query, auth=auth, timeout=timeout)
    except requests.RequestException as e:
        raise CvmifyIOError(f"token request to {realm} failed: {e}") from None
    if response.status_code in (401, 403):
        raise ImageNotFoundError(f"token request to {realm} denied ({response.status_code})")
    if response.status_code != 200 or len(response.content) > MAX_TOKEN_RESPONSE:
        raise CvmifyIOError(f"token request to {realm}: HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise CvmifyIOError(f"token request to {realm}: not JSON") from None
    token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise CvmifyIOError(f"token request to {realm}: no token in the answer")
    return token
