"""File permissions in the guest, as Linux enforces them (QEMU/TCG).

The same small image is run as an unprivileged user (`USER app`, uid
1000, like infra's nonroot image) and as root. It holds root-owned files:
/secret (0600), /public (0644) and /private (0700) with a 0644 file in
it. The non-root app must get EACCES where Linux gives it (reading
/secret, listing /private, walking into it, writing a file it made
read-only), while root passes like CAP_DAC_OVERRIDE. Files the app
creates on tmpfs belong to it, as do /proc/self and the console, and
/proc/self/fd/N names a regular file by its absolute path.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.guest import build_and_run, shell

pytestmark = [pytest.mark.qemu, pytest.mark.docker, pytest.mark.slow]

FILES = {"secret": ("top secret\n", 0o600), "public": ("for everyone\n", 0o644)}

SCRIPT = r"""
echo "uid=$(id -u)"
cat /secret >/dev/null 2>&1; echo "read-secret=$?"
cat /public; echo "read-public=$?"
ls /private >/dev/null 2>&1; echo "list-private=$?"
cat /private/file >/dev/null 2>&1; echo "walk-private=$?"
echo one > /tmp/mine; echo "create=$?"
ls -ln /tmp/mine | awk '{print "owner=" $3 ":" $4}'
chmod 0444 /tmp/mine
(echo two > /tmp/mine) 2>/dev/null; echo "write-readonly=$?"
exec 3</public
echo "fd3=$(readlink /proc/self/fd/3)"
echo "exe=$(readlink /proc/self/exe)"
ls /proc/self/fd >/dev/null; echo "list-fds=$?"
(: >/dev/console) 2>/dev/null; echo "open-console=$?"
"""


@pytest.fixture(scope="session")
def perms_images(busybox_image, docker_client, tmp_path_factory) -> dict[str, str]:
    """busybox plus root-owned files; one tag running as uid 1000, one as root."""
    context = tmp_path_factory.mktemp("perms-image")
    tree = context / "tree"  # copied as contents: subdirectories keep their mode
    tree.mkdir()
    for name, (text, mode) in FILES.items():
        (tree / name).write_text(text)
        (tree / name).chmod(mode)
    private = tree / "private"
    private.mkdir()
    (private / "file").write_text("hidden\n")
    (private / "file").chmod(0o644)
    private.chmod(0o700)
    tags = {}
    for user in ("1000:1000", "0:0"):
        dockerfile = (f"FROM {busybox_image}\n"
                      "COPY --chown=0:0 tree /\n"
                      f"USER {user}\n")
        (context / "Dockerfile").write_text(dockerfile)
        digest = hashlib.sha256(dockerfile.encode() + repr(sorted(FILES.items())).encode())
        tag = f"cvmify-test/perms:h-{digest.hexdigest()[:20]}"
        docker_client.images.build(path=str(context), tag=tag, network_mode="host", rm=True)
        tags[user] = tag
    private.chmod(0o755)  # let pytest clean up
    return tags


def run_script(image: str, kernel: Path, tmp_path: Path) -> dict[str, str]:
    run = build_and_run(image, kernel, tmp_path, shell(SCRIPT))
    assert run.returncode == 0, run.stdout + run.stderr
    return dict(line.split("=", 1) for line in run.stdout.splitlines() if "=" in line)


def test_non_root_app_gets_eacces_like_linux(perms_images, kernel, tmp_path):
    got = run_script(perms_images["1000:1000"], kernel, tmp_path)
    assert got == {
        "uid": "1000",
        "read-secret": "1",       # 0600 root: EACCES
        "read-public": "0",
        "list-private": "1",      # 0700 root directory: no r
        "walk-private": "1",      # ... and no x on the way to a 0644 file
        "create": "0",            # /tmp is 01777
        "owner": "1000:1000",     # tmpfs files belong to the creator
        "write-readonly": "1",    # its own file, chmod 0444: EACCES
        "fd3": "/public",
        "exe": "/bin/busybox",    # /bin/sh resolved, as on Linux
        "list-fds": "0",          # /proc/self/fd belongs to the caller
        "open-console": "0",      # so does the console (0600)
    }, got


def test_root_passes_permission_bits(perms_images, kernel, tmp_path):
    got = run_script(perms_images["0:0"], kernel, tmp_path)
    assert got["uid"] == "0"
    assert got["read-secret"] == "0"
    assert got["list-private"] == "0"
    assert got["walk-private"] == "0"
    assert got["owner"] == "0:0"
    assert got["write-readonly"] == "0"   # CAP_DAC_OVERRIDE writes a 0444 file
    assert got["fd3"] == "/public"
