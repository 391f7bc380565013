"""Registry references: 'REGISTRY/REPO[:TAG|@DIGEST]', parsed and normalized.

The first component names the registry when it looks like a host (has a
'.' or a ':' or is 'localhost'); otherwise docker.io is meant, with
'library/' for one-component names. Plain http is used only for loopback
registries; everything else is https.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cvmify.errors import CvmifyError, UsageError
from cvmify.image.digest import parse_digest

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
LOOPBACK = ("localhost", "127.0.0.1", "[::1]")

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_HOST = re.compile(r"(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?")


@dataclass(frozen=True)
class RegistryRef:
    registry: str  # as written: "localhost:5000", "docker.io"
    repository: str  # "library/busybox"
    tag: str | None
    digest: str | None

    @property
    def reference(self) -> str:
        """What to ask the manifests endpoint for: the digest wins."""
        return self.digest or self.tag or "latest"

    @property
    def host(self) -> str:
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def hostname(self) -> str:
        host = self.registry
        if host.startswith("["):
            return host[: host.index("]") + 1]
        return host.split(":", 1)[0]

    @property
    def scheme(self) -> str:
        return "http" if self.hostname in LOOPBACK else "https"

    def __str__(self) -> str:
        text = f"{self.registry}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_registry_ref(text: str) -> RegistryRef:
    name, _, digest = text.partition("@")
    if digest:
        try:
            digest = str(parse_digest(digest, f"reference {text!r}"))
        except CvmifyError as e:  # typed by the user: a usage error
            raise UsageError(e.message) from None
    tag = None
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
        if not _TAG.fullmatch(tag):
            raise UsageError(f"invalid tag {tag!r} in {text!r}")
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        if not _HOST.fullmatch(first):
            raise UsageError(f"invalid registry host {first!r} in {text!r}")
        registry, repository = first, rest
    else:
        registry, repository = DOCKER_HUB, name
        if "/" not in repository:
            repository = f"library/{repository}"
    if not all(_COMPONENT.fullmatch(c) for c in repository.split("/")):
        raise UsageError(f"invalid repository name {repository!r} in {text!r}")
    if tag is None and not digest:
        tag = "latest"
    return RegistryRef(registry, repository, tag, digest or None)
