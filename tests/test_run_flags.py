"""docker's run flags on a real guest, each compared with `docker run` of
the same image: --entrypoint, -w, -u, -e (with and without a value),
--env-file and --tmpfs, all within what the manifest allows; and each
refused with a clear error naming the manifest key when it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from cvmify.commands.run_env import collect_env
from cvmify.errors import UsageError
from tests.docker_run import docker_run
from tests.guest import build_bundle, run_bundle

# /home holds app/ in the image; the tmpfs hides it
SCRIPT = "id -u; id -g; pwd; echo \"$FOO|$BAR|$FROM_HOST\"; echo home: $(ls -A /home | wc -l)"

PERMISSIVE = {
    "loader": {
        "argv": ["/bin/echo", "the image's command"],
        "insecure__use_cmdline_argv": True,
        "insecure__allow_entrypoint": True,
        "insecure__allow_workdir": True,
        "allowed_users": ["1000:1000", "root", "app"],
        "env": {name: {"passthrough": True} for name in ("FOO", "BAR", "FROM_HOST")},
    },
    "fs": {"insecure__allow_host_tmpfs": True},
}


def test_collect_env_reads_like_docker(tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text("# a comment\n\nA=1\nB= spaced = \"q\"\nFROM_HOST\nMISSING\n")
    env = collect_env(["A=2", "C"], [env_file], {"FROM_HOST": "h", "C": "c"})
    assert env == {"A": "2", "B": " spaced = \"q\"", "FROM_HOST": "h", "C": "c"}
    with pytest.raises(UsageError, match="1BAD"):
        collect_env(["1BAD=x"], [], {})
    with pytest.raises(UsageError, match="no such file"):
        collect_env([], [tmp_path / "none"], {})


@pytest.fixture(scope="module")
def permissive_bundle(nonroot_image, kernel, tmp_path_factory) -> Path:
    return build_bundle(nonroot_image, kernel, tmp_path_factory.mktemp("permissive"), PERMISSIVE)


def test_flags_match_docker_run(permissive_bundle, nonroot_image, tmp_path, monkeypatch):
    env_file = tmp_path / "env"
    env_file.write_text("BAR=from file\n")
    monkeypatch.setenv("FROM_HOST", "passed through")
    flags = ("--entrypoint", "/bin/sh", "-w", "/tmp", "-u", "1000:1000", "-e", "FOO=foo", "-e", "FROM_HOST",
             "--env-file", str(env_file), "--tmpfs", "/home")
    ours = run_bundle(permissive_bundle, *flags, "--", "-c", SCRIPT)
    theirs = docker_run(nonroot_image, "-c", SCRIPT, flags=flags)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), ours.stderr
    assert ours.stdout == "1000\n1000\n/tmp\nfoo|from file|passed through\nhome: 0\n"


def test_tmpfs_options_match_docker_run(permissive_bundle, nonroot_image):
    """size= bounds writes (ENOSPC), uid=/gid= own the mount, mode= applies
    where the image has no directory; over one (/home, /tmp) its mode
    stays, as runc makes it."""
    script = ('stat -c "%a %u %g %n" /home /tmp /x; dd if=/dev/zero of=/home/f bs=4096 count=100 2>/dev/null;'
              ' echo rc=$?; wc -c < /home/f')
    flags = ("--entrypoint", "/bin/sh", "-w", "/", "--tmpfs", "/home:size=64k,mode=0750,uid=1000,gid=1000",
             "--tmpfs", "/tmp:mode=0700", "--tmpfs", "/x:rw,mode=700,noexec")
    ours = run_bundle(permissive_bundle, *flags, "--", "-c", script)
    theirs = docker_run(nonroot_image, "-c", script, flags=flags)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), ours.stderr
    assert ours.stdout == "755 1000 1000 /home\n1777 0 0 /tmp\n700 0 0 /x\nrc=1\n65536\n"


def test_a_missing_workdir_is_made_like_docker(permissive_bundle, nonroot_image):
    """The image's WORKDIR /home/app under a --tmpfs /home: made (root's,
    755) before the app starts, as docker does."""
    script = 'pwd; stat -c "%a %u %g" /home/app; id -u'
    flags = ("--entrypoint", "/bin/sh", "--tmpfs", "/home")
    ours = run_bundle(permissive_bundle, *flags, "--", "-c", script)
    theirs = docker_run(nonroot_image, "-c", script, flags=flags)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), ours.stderr
    assert ours.stdout == "/home/app\n755 0 0\n1000\n"


def test_user_by_name_and_entrypoint_without_args(permissive_bundle, nonroot_image):
    """-u root: root's membership of wheel comes with it, as docker gives."""
    flags = ("-u", "root", "--entrypoint", "/bin/id")
    ours = run_bundle(permissive_bundle, *flags)
    theirs = docker_run(nonroot_image, flags=flags)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), ours.stderr
    assert ours.stdout == "uid=0(root) gid=0(root) groups=0(root),10(wheel)\n"


@pytest.mark.parametrize("user,groups", [("app", "50(staff),1000(app)"), ("1000:1000", "1000(app)")])
def test_user_flag_groups_match_docker(permissive_bundle, nonroot_image, user, groups):
    """-u app brings app's membership of staff; -u 1000:1000 (an explicit
    group) the gid alone, though both allowed entries share uid and gid."""
    flags = ("-u", user, "--entrypoint", "/bin/id")
    ours = run_bundle(permissive_bundle, *flags)
    theirs = docker_run(nonroot_image, flags=flags)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), ours.stderr
    assert ours.stdout == f"uid=1000(app) gid=1000(app) groups={groups}\n"


@pytest.mark.parametrize("flags,key", [
    (("--entrypoint", "/bin/sh"), "loader.insecure__allow_entrypoint"),
    (("-w", "/tmp"), "loader.insecure__allow_workdir"),
    (("-u", "1000"), "loader.allowed_users"),
    (("--tmpfs", "/mnt"), "fs.insecure__allow_host_tmpfs"),
    (("-e", "FOO=1"), "loader.env.FOO"),
])
def test_flags_the_manifest_does_not_allow_are_refused(busybox_image, kernel, tmp_path, flags, key):
    bundle = build_bundle(busybox_image, kernel, tmp_path, {"loader": {"argv": ["/bin/true"]}})
    run = run_bundle(bundle, *flags)
    assert run.returncode == 2
    errors = [line for line in run.stderr.splitlines() if line.startswith("cvmify: error:")]
    assert len(errors) == 1 and key in errors[0], run.stderr


def test_image_user_and_groups_match_docker(nonroot_image, kernel, tmp_path):
    """USER app from the image's /etc/passwd: ids and supplementary groups
    as docker sets them (the primary group and app's membership of staff)."""
    ours = run_bundle(build_bundle(nonroot_image, kernel, tmp_path, {}))
    theirs = docker_run(nonroot_image)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), ours.stderr
    assert ours.stdout == "uid=1000(app) gid=1000(app) groups=50(staff),1000(app)\n"


@pytest.mark.parametrize("image_fixture", ["busybox_image", "nonroot_image"])
def test_environment_matches_docker(request, kernel, tmp_path, image_fixture):
    """HOME from the user's /etc/passwd entry ("/" without one) and the
    default PATH, as docker sets them; HOSTNAME (a container id) aside."""
    image = request.getfixturevalue(image_fixture)
    script = "env | grep -v ^HOSTNAME= | sort"
    ours = run_bundle(build_bundle(image, kernel, tmp_path, {"loader": {"argv": ["/bin/sh", "-c", script]}}))
    theirs = docker_run(image, "-c", script, entrypoint="/bin/sh")
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), ours.stderr
    assert "HOME=" in ours.stdout


def test_t_sets_term_like_docker(busybox_image, kernel, tmp_path):
    script = "echo TERM=$TERM"
    bundle = build_bundle(busybox_image, kernel, tmp_path, {"loader": {"argv": ["/bin/sh", "-c", script]}})
    for flags in ((), ("-t",)):
        ours = run_bundle(bundle, *flags)
        theirs = docker_run(busybox_image, "-c", script, flags=flags, entrypoint="/bin/sh")
        assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), ours.stderr


def test_read_only_root_like_docker(busybox_image, kernel, tmp_path):
    """--read-only (no manifest permission needed: it only takes away)."""
    script = "echo a 2>/dev/null >/x; echo rc=$?; echo b >/tmp/y && echo tmp ok"
    bundle = build_bundle(busybox_image, kernel, tmp_path, {"loader": {"argv": ["/bin/sh", "-c", script]}})
    ours = run_bundle(bundle, "--read-only")
    theirs = docker_run(busybox_image, "-c", script, flags=("--read-only", "--tmpfs", "/tmp"),
                        entrypoint="/bin/sh")
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), ours.stderr
    assert ours.stdout == "rc=1\ntmp ok\n"
