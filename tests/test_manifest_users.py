"""Image `User` -> uid, gid, supplementary groups, from the image's files."""

from __future__ import annotations

import pytest

from cvmify.errors import InvalidManifestError
from cvmify.manifest.users import resolve_user
from tests.test_manifest_fakes import FakeRoot

PASSWD = """root:x:0:0:root:/root:/bin/sh
# a comment
app:x:1000:1000:App:/home/app:/bin/sh
svc:x:1001:100::/:/sbin/nologin
broken line
"""
GROUP = """root:x:0:
users:x:100:app
app:x:1000:
docker:x:999:svc,app
audio:x:29:svc
"""


@pytest.fixture
def rootfs(tmp_path):
    fake = FakeRoot(tmp_path)
    fake.etc(PASSWD, GROUP)
    return fake.rootfs


# What docker run --user gives (measured with the daemon here, see
# cvmify/manifest/users.py): the primary gid, plus the /etc/group
# memberships only when no group is named, sorted.
@pytest.mark.parametrize(
    "spec, uid, gid, groups, name",
    [
        ("", 0, 0, [0], "root"),
        ("app", 1000, 1000, [100, 999, 1000], "app"),
        ("1000", 1000, 1000, [100, 999, 1000], "app"),
        ("svc", 1001, 100, [29, 100, 999], "svc"),
        ("app:docker", 1000, 999, [999], "app"),
        ("app:50", 1000, 50, [50], "app"),
        ("1000:1000", 1000, 1000, [1000], "app"),
        ("app:app", 1000, 1000, [1000], "app"),
        ("0:1000", 0, 1000, [1000], "root"),
        ("4242", 4242, 0, [0], None),
        ("4242:4343", 4242, 4343, [4343], None),
        ("4242:users", 4242, 100, [100], None),
    ],
)
def test_user_forms(rootfs, spec, uid, gid, groups, name):
    user = resolve_user(spec, rootfs)
    assert (user.uid, user.gid, user.groups, user.name) == (uid, gid, groups, name)


ROOT_IN_GROUPS = """root:x:0:
app:x:1000:app
extra:x:2000:app
other:x:3000:app,root
"""


@pytest.mark.parametrize(
    "spec, groups",
    [
        ("", [0, 3000]),  # root keeps gid 0 beside its memberships
        ("root", [0, 3000]),
        ("app", [1000, 2000, 3000]),  # listed in its own group: once
        ("app:extra", [2000]),
        ("0:3000", [3000]),
    ],
)
def test_memberships_beside_the_primary_gid(tmp_path, spec, groups):
    fake = FakeRoot(tmp_path)
    fake.etc(PASSWD, ROOT_IN_GROUPS)
    assert resolve_user(spec, fake.rootfs).groups == groups


@pytest.mark.parametrize(
    "spec, gid, groups",
    [("", 0, [0]), ("app", 1000, [1000]), ("1000:2000", 2000, [2000]), ("4242", 0, [0])],
)
def test_no_group_file(tmp_path, spec, gid, groups):
    fake = FakeRoot(tmp_path)
    fake.etc(PASSWD, None)
    user = resolve_user(spec, fake.rootfs)
    assert (user.gid, user.groups) == (gid, groups)


def test_no_group_file_refuses_a_group_name(tmp_path):
    fake = FakeRoot(tmp_path)
    fake.etc(PASSWD, None)
    with pytest.raises(InvalidManifestError, match="group 'app' is not in the image's /etc/group"):
        resolve_user("app:app", fake.rootfs)


def test_unknown_user_name(rootfs):
    with pytest.raises(InvalidManifestError, match="user 'nobody' is not in the image's /etc/passwd"):
        resolve_user("nobody", rootfs)


def test_unknown_group_name(rootfs):
    with pytest.raises(InvalidManifestError, match="group 'wheel' is not in the image's /etc/group"):
        resolve_user("app:wheel", rootfs)


def test_id_out_of_range_is_refused(rootfs):
    with pytest.raises(InvalidManifestError):
        resolve_user("4294967295", rootfs)


def test_no_passwd_file(tmp_path):
    rootfs = FakeRoot(tmp_path).rootfs
    assert resolve_user("", rootfs).uid == 0
    assert (resolve_user("65534:65534", rootfs).uid, resolve_user("65534:65534", rootfs).gid) == (65534, 65534)
    with pytest.raises(InvalidManifestError):
        resolve_user("app", rootfs)
