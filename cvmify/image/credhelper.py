"""Docker credential helpers: `docker-credential-NAME get`.

The docker client config may name a helper program instead of holding
credentials itself (`credHelpers` per registry, `credsStore` for all).
The protocol: run `docker-credential-NAME get`, write the server address
to its stdin, read `{"ServerURL", "Username", "Secret"}` JSON from its
stdout. A Username of `<token>` means Secret is an identity token (an
OAuth2 refresh token), not a password. A helper that has nothing for the
server exits non-zero and prints "credentials not found in native keychain".

The helper's output holds a secret: it never goes into an error or a log.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
from dataclasses import dataclass, field

from cvmify.errors import CvmifyIOError

log = logging.getLogger(__name__)

HELPER_PREFIX = "docker-credential-"
HELPER_TIMEOUT = 30.0  # seconds; a helper may unlock a keychain, but must not hang a build
MAX_HELPER_OUTPUT = 64 * 1024
TOKEN_USERNAME = "<token>"
NOT_FOUND_MESSAGE = "credentials not found in native keychain"
_HELPER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_MAX_DIAGNOSTIC = 160


@dataclass(frozen=True)
class Credentials:
    """What to authenticate with. `source` says where it came from, for
    messages; the secrets are kept out of repr()."""

    username: str
    password: str = field(default="", repr=False)
    identity_token: str | None = field(default=None, repr=False)
    source: str = ""


def helper_program(name: str) -> str:
    """'pass' -> 'docker-credential-pass'; a name that is not a plain
    suffix (a path, an option) is refused."""
    if not isinstance(name, str) or not _HELPER_NAME.fullmatch(name):
        raise CvmifyIOError(f"docker config names an unusable credential helper {name!r}")
    return HELPER_PREFIX + name


def _diagnostic(output: bytes) -> str:
    """The first line a failed helper printed, short, for the error message.
    Anything that looks like a JSON answer is withheld: it may hold a secret."""
    line = output.decode("utf-8", "replace").strip().split("\n", 1)[0].strip()
    if not line or line.startswith("{"):
        return ""
    return ": " + (line if len(line) <= _MAX_DIAGNOSTIC else line[:_MAX_DIAGNOSTIC] + "...")


def _parse_answer(stdout: bytes, program: str, server: str) -> Credentials:
    garbage = CvmifyIOError(f"credential helper {program} printed no usable credentials for {server} "
                            f"(expected JSON with Username and Secret)")
    if len(stdout) > MAX_HELPER_OUTPUT:
        raise garbage
    try:
        answer = json.loads(stdout)
    except ValueError:
        raise garbage from None
    if not isinstance(answer, dict):
        raise garbage
    username, secret = answer.get("Username"), answer.get("Secret")
    if not isinstance(username, str) or not isinstance(secret, str) or not secret:
        raise garbage
    source = f"credential helper {program}"
    if username == TOKEN_USERNAME:
        return Credentials("", identity_token=secret, source=source)
    return Credentials(username, password=secret, source=source)


def run_helper(name: str, server: str) -> Credentials | None:
    """Ask helper `name` for the credentials of `server`; None when it has none."""
    program = helper_program(name)
    path = shutil.which(program)
    if path is None:
        raise CvmifyIOError(f"credential helper {program} (named in the docker config) is not on PATH")
    log.debug("asking %s for %s", program, server)
    try:
        done = subprocess.run([path, "get"], input=server.encode(), capture_output=True,
                              timeout=HELPER_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise CvmifyIOError(f"credential helper {program} did not answer within "
                            f"{HELPER_TIMEOUT:.0f}s for {server}") from None
    except OSError as e:
        raise CvmifyIOError(f"credential helper {program} could not be run: {e.strerror}") from None
    if done.returncode != 0:
        if NOT_FOUND_MESSAGE in done.stdout.decode("utf-8", "replace"):
            log.info("%s has no credentials for %s; pulling anonymously", program, server)
            return None
        why = _diagnostic(done.stdout) or _diagnostic(done.stderr)
        raise CvmifyIOError(f"credential helper {program} failed for {server} "
                            f"(exit {done.returncode}){why}")
    return _parse_answer(done.stdout, program, server)
