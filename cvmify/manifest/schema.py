"""The manifest schema: one typed table, checked in one place.

Every error names the key path (`loader.argv[2]: expected string, got
integer`). Limits mirror docs/boot-config.md so that a manifest that
validates always compiles into a config.bin the kernel accepts.
"""

from __future__ import annotations

import datetime
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from cvmify.errors import InvalidManifestError

MAX_ID = 0xFFFFFFFE
MAX_PATH_BYTES = 4096
MAX_ARG_BYTES = 131072
MAX_ARGS = 4096
MAX_ENV = 4096
MAX_HOST_ENV = 256
MAX_TMPFS = 64
MAX_HOST_VOLUMES = 64
MAX_GROUPS = 64
MIN_MEMORY = 32 << 20
RLIM_INFINITY = (1 << 64) - 1
SIZE_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}

# Linux resource numbers (asm-generic/resource.h), by manifest name.
RLIMITS = {
    "cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5, "nproc": 6,
    "nofile": 7, "memlock": 8, "as": 9, "locks": 10, "sigpending": 11,
    "msgqueue": 12, "nice": 13, "rtprio": 14, "rttime": 15,
}
IMAGE_KINDS = ("glibc", "musl", "static", "script")
MOUNT_TYPES = ("tmpfs",)


def parse_size(text: str) -> int:
    """'512M' -> 536870912. Suffixes K, M, G, T are powers of 1024; a bare
    number is bytes. ValueError if it does not parse."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not match:
        raise ValueError(f"not a size: {text!r}")
    return int(match.group(1)) * SIZE_SUFFIXES[match.group(2).upper()]


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    if isinstance(value, (datetime.date, datetime.time)):
        return "datetime"
    return type(value).__name__


def fail(path: str, message: str) -> None:
    raise InvalidManifestError(f"{path}: {message}")


def expect(path: str, value: Any, wanted: str) -> None:
    if type_name(value) != wanted:
        fail(path, f"expected {wanted}, got {type_name(value)}")


# -- value types --------------------------------------------------------------


@dataclass
class Str:
    absolute: bool = False
    choices: tuple[str, ...] = ()
    max_bytes: int = MAX_PATH_BYTES

    def check(self, path: str, value: Any) -> None:
        expect(path, value, "string")
        if "\0" in value:
            fail(path, "contains a NUL character")
        if len(value.encode("utf-8")) > self.max_bytes:
            fail(path, f"longer than {self.max_bytes} bytes")
        if self.absolute and not value.startswith("/"):
            fail(path, f"must be an absolute path, got {value!r}")
        if self.choices and value not in self.choices:
            fail(path, f"must be one of {', '.join(self.choices)}, got {value!r}")


@dataclass
class Int:
    low: int = 0
    high: int = MAX_ID

    def check(self, path: str, value: Any) -> None:
        expect(path, value, "integer")
        if not self.low <= value <= self.high:
            fail(path, f"must be between {self.low} and {self.high}, got {value}")


@dataclass
class Bool:
    def check(self, path: str, value: Any) -> None:
        expect(path, value, "boolean")


@dataclass
class Size:
    low: int = MIN_MEMORY

    def check(self, path: str, value: Any) -> None:
        expect(path, value, "string")
        try:
            size = parse_size(value)
        except ValueError:
            fail(path, f"not a size like '512M' or '2G': {value!r}")
        if size < self.low:
            fail(path, f"must be at least {self.low >> 20}M, got {value!r}")


@dataclass
class List:
    item: Any
    low: int = 0
    high: int = MAX_ARGS

    def check(self, path: str, value: Any) -> None:
        expect(path, value, "array")
        if not self.low <= len(value) <= self.high:
            fail(path, f"must have {self.low} to {self.high} elements, got {len(value)}")
        for i, item in enumerate(value):
            self.item.check(f"{path}[{i}]", item)


@dataclass
class Table:
    fields: dict[str, Any]
    required: tuple[str, ...] = ()

    def check(self, path: str, value: Any, partial: bool = False) -> None:
        expect(path or "manifest", value, "table")
        for key in value:
            if key not in self.fields:
                fail(join(path, key), "unknown key")
        for key, item in value.items():
            spec = self.fields[key]
            if isinstance(spec, Table):
                spec.check(join(path, key), item, partial)
            else:
                spec.check(join(path, key), item)
        if not partial:
            for key in self.required:
                if key not in value:
                    fail(join(path, key), "missing")


@dataclass
class EnvValue:
    """"VALUE", { value = "VALUE" }, { passthrough = true } or both."""

    shape: Table = field(default_factory=lambda: Table({"value": Str(max_bytes=MAX_ARG_BYTES), "passthrough": Bool()}))

    def check(self, path: str, value: Any) -> None:
        if isinstance(value, str):
            Str(max_bytes=MAX_ARG_BYTES).check(path, value)
            return
        if not isinstance(value, dict):
            fail(path, f"expected string or table, got {type_name(value)}")
        self.shape.check(path, value)
        if "value" not in value and not value.get("passthrough"):
            fail(path, "a table needs 'value' or 'passthrough = true'")


@dataclass
class EnvTable:
    def check(self, path: str, value: Any) -> None:
        expect(path, value, "table")
        if len(value) > MAX_ENV:
            fail(path, f"more than {MAX_ENV} variables")
        for name, item in value.items():
            if not name or "=" in name or "\0" in name:
                fail(join(path, name), "invalid variable name")
            EnvValue().check(join(path, name), item)
        passthrough = [n for n, v in value.items() if isinstance(v, dict) and v.get("passthrough")]
        if len(passthrough) > MAX_HOST_ENV:
            fail(path, f"more than {MAX_HOST_ENV} passthrough variables")


@dataclass
class Rlimits:
    """name = [soft, hard] or name = limit; "unlimited" allowed for either."""

    def check(self, path: str, value: Any) -> None:
        expect(path, value, "table")
        for name, item in value.items():
            where = join(path, name)
            if name not in RLIMITS:
                fail(where, f"unknown resource (known: {', '.join(RLIMITS)})")
            soft, hard = rlimit_pair(where, item)
            if soft > hard:
                fail(where, "soft limit above hard limit")


def rlimit_pair(path: str, value: Any) -> tuple[int, int]:
    items = value if isinstance(value, list) else [value, value]
    if len(items) != 2:
        fail(path, "expected [soft, hard]")
    return rlimit_value(f"{path}[0]", items[0]), rlimit_value(f"{path}[1]", items[1])


def rlimit_value(path: str, value: Any) -> int:
    if value == "unlimited":
        return RLIM_INFINITY
    if type_name(value) != "integer" or not 0 <= value < RLIM_INFINITY:
        fail(path, f"expected a non-negative integer or \"unlimited\", got {value!r}")
    return value


@dataclass
class Mounts:
    item: Table = field(default_factory=lambda: Table(
        {"type": Str(choices=MOUNT_TYPES), "path": Str(absolute=True), "origin": Str()},
        required=("type", "path"),
    ))

    def check(self, path: str, value: Any) -> None:
        expect(path, value, "array")
        seen: set[str] = set()
        for i, mount in enumerate(value):
            where = f"{path}[{i}]"
            self.item.check(where, mount)
            mount_path = mount["path"]
            if posixpath.normpath(mount_path) != mount_path or mount_path == "/":
                fail(f"{where}.path", f"must be a normalized path other than '/', got {mount_path!r}")
            if mount_path in seen:
                fail(f"{where}.path", f"{mount_path} is mounted twice")
            seen.add(mount_path)
        extra = 0 if "/tmp" in seen else 1
        if len(seen) + extra > MAX_TMPFS:
            fail(path, f"more than {MAX_TMPFS} mounts")


@dataclass
class NetTable(Table):
    """`[net]`: the types, then (for a final manifest) the addresses and the
    host name, with the rules the kernel applies to NET and HOSTNAME."""

    def check(self, path: str, value: Any, partial: bool = False) -> None:
        super().check(path, value, partial)
        if partial:
            return
        from cvmify.manifest import netconfig

        netconfig.from_manifest(value)
        if "hostname" in value:
            problem = netconfig.hostname_problem(value["hostname"])
            if problem:
                fail(join(path, "hostname"), f"{value['hostname']!r} {problem}")


@dataclass
class AllowedUser:
    """"name", "uid", "name:group" or "uid:gid" as written, or the table
    the build resolves it to: { user = "name", uid = N, gid = N, groups =
    [N, ...] } (groups: what docker would give that user)."""

    shape: Table = field(default_factory=lambda: Table(
        {"user": Str(max_bytes=32), "uid": Int(), "gid": Int(), "groups": List(Int(), low=1, high=MAX_GROUPS)},
        required=("uid", "gid")))

    def check(self, path: str, value: Any) -> None:
        if isinstance(value, str):
            Str(max_bytes=64).check(path, value)
            if not value or value.startswith(":") or value.count(":") > 1:
                fail(path, f"expected NAME, UID, NAME:GROUP or UID:GID, got {value!r}")
            return
        if not isinstance(value, dict):
            fail(path, f"expected string or table, got {type_name(value)}")
        self.shape.check(path, value)
        name = value.get("user")
        if name is not None and (not name or any(c <= " " or c == ":" or c >= "\x7f" for c in name)):
            fail(f"{path}.user", f"not a user name: {name!r}")


@dataclass
class HostVolumes:
    """fs.host_volumes: where `cvmify run -v NAME:PATH` may attach a volume."""

    def check(self, path: str, value: Any) -> None:
        expect(path, value, "array")
        if len(value) > MAX_HOST_VOLUMES:
            fail(path, f"more than {MAX_HOST_VOLUMES} paths")
        for i, item in enumerate(value):
            where = f"{path}[{i}]"
            Str(absolute=True).check(where, item)
            if posixpath.normpath(item) != item or item == "/" or item.startswith("//"):
                fail(where, f"must be a normalized path other than '/', got {item!r}")
            if item in value[:i]:
                fail(where, f"{item} is listed twice")


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# -- the schema -----------------------------------------------------------------

SCHEMA = Table(
    {
        "libos": Table({"entrypoint": Str(absolute=True)}, required=("entrypoint",)),
        "loader": Table(
            {
                "argv": List(Str(max_bytes=MAX_ARG_BYTES), low=1, high=MAX_ARGS),
                "env": EnvTable(),
                "insecure__use_cmdline_argv": Bool(),
                "uid": Int(),
                "gid": Int(),
                "groups": List(Int(), high=MAX_GROUPS),
                "user": Str(),
                "rlimits": Rlimits(),
                "insecure__allow_entrypoint": Bool(),
                "insecure__allow_workdir": Bool(),
                "allowed_users": List(AllowedUser(), high=64),
            },
            required=("argv",),
        ),
        "fs": Table({"start_dir": Str(absolute=True), "mounts": Mounts(), "insecure__allow_host_tmpfs": Bool(),
                     "read_only": Bool(), "host_volumes": HostVolumes()}),
        "sys": Table({"memory": Size(), "cpus": Int(1, 64), "max_threads": Int(1, 65536)}),
        "net": NetTable(
            {
                "ipv4": Str(),
                "gateway4": Str(),
                "ipv6": Str(),
                "gateway6": Str(),
                "dns": List(Str(), high=3),
                "hostname": Str(),
                "etc_files": Bool(),
            }
        ),
        "image": Table(
            {
                "kind": Str(choices=IMAGE_KINDS),
                "program": Str(absolute=True),
                "chain": List(Str(absolute=True)),
                "interpreter": Str(absolute=True),
                "libraries": List(Str(absolute=True), high=1 << 16),
                "exposed_ports": List(Str()),
                "stop_signal": Str(),
            }
        ),
    },
    required=("libos", "loader"),
)


def validate_manifest(m: dict) -> None:
    """Check a final manifest: types, unknown keys, required keys, limits."""
    SCHEMA.check("", m)


def validate_fragment(m: dict, where: str = "") -> None:
    """Check a fragment (user or base manifest): types and unknown keys only."""
    try:
        SCHEMA.check("", m, partial=True)
    except InvalidManifestError as e:
        if where:
            raise InvalidManifestError(f"{where}: {e.message}") from e
        raise
