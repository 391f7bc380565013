"""Which Debian mirror to debootstrap from, read from the host's apt sources.

We never write a mirror's hostname into the repository: the machine that
builds the image already knows a mirror it can reach. Order of preference:
$CVMIFY_DEBIAN_MIRROR, then the first enabled `deb` source on the host that
serves the wanted suite from a Debian archive (not the security archive).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APT_DIR = Path("/etc/apt")


@dataclass(frozen=True)
class AptSource:
    types: tuple[str, ...]
    uris: tuple[str, ...]
    suites: tuple[str, ...]
    components: tuple[str, ...]


class MirrorNotFound(RuntimeError):
    pass


def parse_one_line(text: str) -> list[AptSource]:
    """Classic sources.list: `deb [opts] URI SUITE COMPONENT...`."""
    sources = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        kind, rest = words[0], words[1:]
        if rest and rest[0].startswith("["):  # options block, maybe spread over words
            while rest and not rest[0].endswith("]"):
                rest = rest[1:]
            rest = rest[1:]
        if len(rest) < 2:
            continue
        sources.append(AptSource((kind,), (rest[0],), (rest[1],), tuple(rest[2:])))
    return sources


def parse_deb822(text: str) -> list[AptSource]:
    """deb822 `.sources`: stanzas of `Key: value` separated by blank lines."""
    sources = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for raw in stanza.splitlines():
            if raw.startswith("#") or ":" not in raw or raw[:1].isspace():
                continue
            key, value = raw.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if not fields.get("uris") or fields.get("enabled", "yes").lower() == "no":
            continue
        sources.append(AptSource(
            tuple(fields.get("types", "").split()),
            tuple(fields["uris"].split()),
            tuple(fields.get("suites", "").split()),
            tuple(fields.get("components", "").split()),
        ))
    return sources


def host_sources(apt_dir: Path = APT_DIR) -> list[AptSource]:
    """All sources apt itself would read, in apt's order."""
    sources = []
    main_list = apt_dir / "sources.list"
    if main_list.is_file():
        sources += parse_one_line(main_list.read_text(errors="replace"))
    parts = apt_dir / "sources.list.d"
    if parts.is_dir():
        for path in sorted(parts.iterdir()):
            if path.suffix == ".list":
                sources += parse_one_line(path.read_text(errors="replace"))
            elif path.suffix == ".sources":
                sources += parse_deb822(path.read_text(errors="replace"))
    return sources


def debian_mirror(suite: str = "bookworm", apt_dir: Path = APT_DIR) -> str:
    """A mirror URL that serves `suite` with component main."""
    override = os.environ.get("CVMIFY_DEBIAN_MIRROR")
    if override:
        return override
    for source in host_sources(apt_dir):
        if "deb" not in source.types or suite not in source.suites:
            continue
        if "main" not in source.components:
            continue
        for uri in source.uris:
            if "security" not in uri and uri.startswith(("http://", "https://", "file:/")):
                return uri
    raise MirrorNotFound(
        f"no apt source for Debian {suite} (main) under {apt_dir}; "
        "set CVMIFY_DEBIAN_MIRROR to a Debian mirror URL"
    )
