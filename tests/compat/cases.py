"""The compatibility cases: one directory per case under tests/compat/cases/.

A case directory holds `case.toml` (below) and the files the case needs;
those files land in the image under /compat/CASE/ (one layer shared by
all cases of a base, tests/compat/images.py). The case's image is thin:
a generated Dockerfile that sets its config, so that what runs is the
image's own ENTRYPOINT and CMD, exactly as `docker run IMAGE` and
`cvmify build IMAGE` see them.

case.toml keys:

    about      one line: what the case shows (required)
    base       a compat base (BASES) or an existing test image (required)
    cmd        the image's CMD, exec form (required)
    entrypoint the image's ENTRYPOINT, exec form
    user       the image's USER
    workdir    the image's WORKDIR (default: the base's, /)
    env        table NAME = "value": the image's ENV
    setup      list of shell commands, each one RUN step of the thin image
               (each step copies the whole root under vfs: keep it rare)
    run_args   extra `cvmify run` flags a user would pass (e.g. --memory)
    timeout    seconds before the guest run is stopped (default 120)
    [[normalize]]  pattern (regex), replace, why: applied to both stdouts
                   before they are compared; only for what must differ
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
BASES_DIR = HERE / "bases"
CASE_FILE = "case.toml"
PACKAGES_FILE = "packages"  # a base: Debian packages, one a line, # comments
DEFAULT_TIMEOUT = 120
# Test images from tests/images/ that a case may use as its base directly.
PLAIN_BASES = ("debian", "python3")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
KEYS = {"about", "base", "cmd", "entrypoint", "user", "workdir", "env", "setup",
        "run_args", "timeout", "normalize"}


class CaseError(ValueError):
    """A case directory is malformed (a mistake in the suite, not a failure
    of the system under test)."""


@dataclass(frozen=True)
class Normalize:
    pattern: str
    replace: str
    why: str

    def apply(self, text: str) -> str:
        return re.sub(self.pattern, self.replace, text, flags=re.MULTILINE)


@dataclass(frozen=True)
class Case:
    name: str
    about: str
    base: str
    cmd: tuple[str, ...]
    entrypoint: tuple[str, ...] = ()
    user: str = ""
    workdir: str = ""
    env: tuple[tuple[str, str], ...] = ()
    setup: tuple[str, ...] = ()
    run_args: tuple[str, ...] = ()
    timeout: int = DEFAULT_TIMEOUT
    normalize: tuple[Normalize, ...] = field(default=())

    @property
    def directory(self) -> Path:
        return CASES_DIR / self.name

    def normalized(self, text: str) -> str:
        for rule in self.normalize:
            text = rule.apply(text)
        return text

    def dockerfile(self) -> str:
        """The thin image on top of the files image (build arg BASE). Each
        instruction costs the classic builder a container (a full copy of
        the root under the vfs storage driver), so there are as few as the
        case needs: none of the bases sets ENTRYPOINT or WORKDIR."""
        lines = ["ARG BASE", "FROM ${BASE}"]
        lines += [f"RUN {command}" for command in self.setup]
        if self.env:
            lines.append("ENV " + " ".join(f"{name}={json.dumps(value)}"
                                           for name, value in self.env))
        if self.workdir:
            lines.append(f"WORKDIR {self.workdir}")
        if self.user:
            lines.append(f"USER {self.user}")
        if self.entrypoint:
            lines.append(f"ENTRYPOINT {json.dumps(list(self.entrypoint))}")
        lines.append(f"CMD {json.dumps(list(self.cmd))}")
        return "\n".join(lines) + "\n"


def string_list(name: str, key: str, value) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CaseError(f"{name}: {key} must be a list of strings")
    return tuple(value)


def parse_normalize(name: str, rules) -> tuple[Normalize, ...]:
    if not isinstance(rules, list):
        raise CaseError(f"{name}: normalize must be an array of tables")
    parsed = []
    for rule in rules:
        if set(rule) != {"pattern", "replace", "why"} or not all(
                isinstance(v, str) for v in rule.values()):
            raise CaseError(f"{name}: each normalize needs exactly pattern, replace, why")
        if not rule["why"].strip():
            raise CaseError(f"{name}: a normalize rule must say why")
        re.compile(rule["pattern"])
        parsed.append(Normalize(rule["pattern"], rule["replace"], rule["why"]))
    return tuple(parsed)


def load_case(directory: Path) -> Case:
    name = directory.name
    if not NAME_RE.match(name) or name.startswith("base-"):
        raise CaseError(f"{name}: case names are lower-case words joined by '-', "
                        "not starting with 'base-'")
    data = tomllib.loads((directory / CASE_FILE).read_text())
    unknown = set(data) - KEYS
    if unknown:
        raise CaseError(f"{name}: unknown keys {sorted(unknown)}")
    for key in ("about", "base", "cmd"):
        if key not in data:
            raise CaseError(f"{name}: {key} is required")
    base = data["base"]
    if base not in PLAIN_BASES and not (BASES_DIR / base / PACKAGES_FILE).is_file():
        raise CaseError(f"{name}: unknown base {base!r}")
    env = data.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise CaseError(f"{name}: env must be a table of strings")
    return Case(
        name=name,
        about=data["about"],
        base=base,
        cmd=string_list(name, "cmd", data["cmd"]),
        entrypoint=string_list(name, "entrypoint", data.get("entrypoint", [])),
        user=str(data.get("user", "")),
        workdir=str(data.get("workdir", "")),
        env=tuple(sorted(env.items())),
        setup=string_list(name, "setup", data.get("setup", [])),
        run_args=string_list(name, "run_args", data.get("run_args", [])),
        timeout=int(data.get("timeout", DEFAULT_TIMEOUT)),
        normalize=parse_normalize(name, data.get("normalize", [])),
    )


def load_cases() -> dict[str, Case]:
    """Every case, by name, in name order."""
    directories = sorted(p.parent for p in CASES_DIR.glob(f"*/{CASE_FILE}"))
    return {d.name: load_case(d) for d in directories}


def bases() -> list[str]:
    """The compat bases (directories under tests/compat/bases/)."""
    return sorted(p.parent.name for p in BASES_DIR.glob(f"*/{PACKAGES_FILE}"))


def base_packages(base: str) -> list[str]:
    text = (BASES_DIR / base / PACKAGES_FILE).read_text()
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def base_dockerfile(base: str) -> str:
    """A shared base: its parent image (build arg BASE) plus its packages."""
    return "\n".join([
        "ARG BASE",
        "FROM ${BASE}",
        "# Check-Valid-Until=false: the mirror may serve a dated snapshot.",
        "RUN apt-get -o Acquire::Check-Valid-Until=false update \\",
        " && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\",
        "      " + " ".join(base_packages(base)) + " \\",
        " && apt-get clean \\",
        " && rm -rf /var/lib/apt/lists/*",
    ]) + "\n"
