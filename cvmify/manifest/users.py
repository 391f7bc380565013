"""The image's `User` (name, uid, name:group, uid:gid, mixed) turned into
numeric ids, using the image's own /etc/passwd and /etc/group the way a
container runtime does:

- a name must exist in /etc/passwd; a group name in /etc/group;
- a numeric uid need not exist; then the primary gid is 0;
- without an explicit group the primary gid comes from /etc/passwd;
- supplementary groups, as docker sets them (found by experiment with
  docker 20.10, root and non-root, by name and by uid, with and without
  memberships and /etc/group): the primary gid always, plus, only when no
  group was given explicitly, every /etc/group entry that lists the user's
  name as a member; no duplicates, in Linux's order (setgroups sorts
  them, so /proc/self/status shows "Groups: 0 3000" for root in group
  3000, "Groups: 1000" for `1000:1000` even when the user is a member of
  other groups).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from cvmify.errors import InvalidManifestError
from cvmify.image.rootfs import RootFS

log = logging.getLogger(__name__)

MAX_ID = 0xFFFFFFFE  # (uid_t)-1 means "no change" in Linux, so it is not a valid id


@dataclass
class PasswdEntry:
    name: str
    uid: int
    gid: int
    home: str = "/"


@dataclass
class GroupEntry:
    name: str
    gid: int
    members: list[str] = field(default_factory=list)


@dataclass
class ResolvedUser:
    uid: int
    gid: int
    groups: list[int]
    name: str | None  # the user name, when the image knows one
    home: str = "/"  # the passwd entry's home directory; "/" without one, as docker


def parse_passwd(text: str) -> list[PasswdEntry]:
    entries = []
    for line in _lines(text):
        fields = line.split(":")
        uid, gid = (_parse_id(fields[2]), _parse_id(fields[3])) if len(fields) >= 4 else (None, None)
        if uid is None or gid is None:
            log.debug("skipping malformed /etc/passwd line %r", line)
            continue
        home = fields[5] if len(fields) >= 6 and fields[5].startswith("/") else "/"
        entries.append(PasswdEntry(fields[0], uid, gid, home))
    return entries


def parse_group(text: str) -> list[GroupEntry]:
    entries = []
    for line in _lines(text):
        fields = line.split(":")
        gid = _parse_id(fields[2]) if len(fields) >= 3 else None
        if gid is None:
            log.debug("skipping malformed /etc/group line %r", line)
            continue
        members = [m for m in fields[3].split(",") if m] if len(fields) >= 4 else []
        entries.append(GroupEntry(fields[0], gid, members))
    return entries


def resolve_user(spec: str, rootfs: RootFS) -> ResolvedUser:
    """Resolve the image config's `User` string. Empty means root."""
    spec = spec.strip()
    user_part, _, group_part = spec.partition(":")
    user_part = user_part or "0"
    passwd = parse_passwd(_read_text(rootfs, "/etc/passwd"))
    groups = parse_group(_read_text(rootfs, "/etc/group"))

    entry = _find_user(user_part, passwd, spec)
    uid = entry.uid if entry else _require_id(user_part, spec)
    name = entry.name if entry else None
    gid = entry.gid if entry else 0
    if group_part:
        gid = _find_group(group_part, groups, spec)

    return ResolvedUser(uid=uid, gid=gid, groups=supplementary_groups(name, gid, group_part, groups), name=name,
                        home=entry.home if entry else "/")


def supplementary_groups(name: str | None, gid: int, explicit_group: str, groups: list[GroupEntry]) -> list[int]:
    """Docker's rule: the primary gid, plus the user's /etc/group
    memberships unless the group was named explicitly; sorted as Linux's
    setgroups keeps them."""
    result = {gid}
    if name is not None and not explicit_group:
        result.update(group.gid for group in groups if name in group.members)
    return sorted(result)


def _find_user(user: str, passwd: list[PasswdEntry], spec: str) -> PasswdEntry | None:
    """By name (must exist) or by number (may be absent)."""
    number = _parse_id(user)
    for entry in passwd:
        if (number is None and entry.name == user) or (number is not None and entry.uid == number):
            return entry
    if number is None:
        raise InvalidManifestError(f"image User {spec!r}: user {user!r} is not in the image's /etc/passwd")
    return None


def _find_group(group: str, groups: list[GroupEntry], spec: str) -> int:
    number = _parse_id(group)
    if number is not None:
        return number
    for entry in groups:
        if entry.name == group:
            return entry.gid
    raise InvalidManifestError(f"image User {spec!r}: group {group!r} is not in the image's /etc/group")


def _require_id(text: str, spec: str) -> int:
    number = _parse_id(text)
    if number is None:
        raise InvalidManifestError(f"image User {spec!r}: {text!r} is not a valid id")
    return number


def _parse_id(text: str) -> int | None:
    text = text.strip()
    if not text.isdigit() or not text.isascii():
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _read_text(rootfs: RootFS, path: str) -> str:
    try:
        return rootfs.read(path).decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
