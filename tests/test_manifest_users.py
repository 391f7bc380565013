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


@pytest.mark.parametrize(
    "spec, uid, gid, groups, name",
    [
        ("", 0, 0, [0], "root"),
        ("app", 1000, 1000, [100, 999], "app"),
        ("1000", 1000, 1000, [100, 999], "app"),
        ("svc", 1001, 100, [999, 29], "svc"),
        ("app:docker", 1000, 999, [100], "app"),
        ("app:50", 1000, 50, [100, 999], "app"),
        ("1000:1000", 1000, 1000, [100, 999], "app"),
        ("4242", 4242, 0, [0], None),
        ("4242:4343", 4242, 4343, [4343], None),
        ("4242:users", 4242, 100, [100], None),
    ],
)
def test_user_forms(rootfs, spec, uid, gid, groups, name):
    user = resolve_user(spec, rootfs)
    assert (user.uid, user.gid, user.groups, user.name) == (uid, gid, groups, name)


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
