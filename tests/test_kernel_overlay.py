"""The writable root (docs/kernel-memory.md): changes to image paths behave
as under `docker run` on the same image, writes past the overlay's size
fail with ENOSPC instead of crashing anything, and READ_ONLY_ROOT keeps
the old read-only root.

Each scenario runs the same shell script twice, as `docker run` (the
reference: docker's copy-on-write container layer) and as `cvmify run`,
and compares what it prints.
"""

from __future__ import annotations

import struct

import pytest

from tests.guest import EXIT_APP, boot_bundle, build_bundle, run_bundle, shell

pytestmark = [pytest.mark.qemu, pytest.mark.docker, pytest.mark.slow]

# Paths docker bind-mounts over the image (/etc/hostname, /etc/hosts,
# /etc/resolv.conf) are left alone: there docker differs from any image.
CHANGES = r"""
set -e
# nginx-like state under /var/lib, /var/log and /run
mkdir -p /var/lib/app/body /var/log/app /run/app
echo data > /var/lib/app/body/f
echo line1 >> /var/log/app/access.log
echo line2 >> /var/log/app/access.log
echo 42 > /run/app/app.pid
# changes to image files and directories
echo appended >> /etc/issue
truncate -s 5 /etc/motd
mv /etc/debian_version /etc/debian_version.moved
mkdir /etc/newdir && echo x > /etc/newdir/a && mv /etc/newdir /var/newdir
mv /usr/share/pixmaps /var/pixmaps
rm -r /usr/share/doc
rmdir /srv
chmod 600 /etc/issue
chmod 4711 /usr/bin/env
chown 1000:50 /var/lib/app/body/f
ln /usr/bin/env /usr/local/bin/env-link
ln -s /var/lib/app /app
echo 'hard link' > /usr/local/bin/env-link.txt
rm /etc/issue.net
# what it looks like now
stat -c '%n %F %a %u %g %s' /var/lib/app/body/f /run/app/app.pid /etc/issue /etc/motd \
    /etc/debian_version.moved /var/newdir/a /usr/bin/env /app
stat -c '%n %F %a %u %g' /var/pixmaps /var/lib/app
stat -c '%n %h' /usr/bin/env /usr/local/bin/env-link
cat /var/log/app/access.log /etc/issue /etc/motd /etc/debian_version.moved
echo
ls -1 /etc/newdir /usr/share/doc /srv /etc/debian_version /etc/issue.net 2>&1 | sed 's/^ls: //' || true
ls -1 /var/newdir /var/lib/app /usr/share | head -20
ls -1 /usr/local/bin
cmp /usr/bin/env /usr/local/bin/env-link && echo same
/usr/local/bin/env-link echo runs from a hard link
"""


def docker_output(docker_client, image: str, script: str) -> str:
    out = docker_client.containers.run(image, ["-c", script], entrypoint="/bin/sh",
                                       remove=True, stderr=True)
    return out.decode()


def test_changes_to_image_paths_match_docker(debian_image, docker_client, kernel, tmp_path):
    expected = docker_output(docker_client, debian_image, CHANGES)
    assert "runs from a hard link" in expected  # the script itself works
    result = run_bundle(build_bundle(debian_image, kernel, tmp_path, shell(CHANGES + " 2>&1")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == expected.splitlines()


FILL = r"""
dd if=/dev/zero of=/var/big bs=1M count=400 2>/dev/null; echo "dd exit $?"
ls -l /var/big | awk '{print ($5 > 0 && $5 < 400*1024*1024) ? "partly written" : $5}'
echo after > /etc/after-full && echo "small write: $?" || echo "small write failed"
rm /var/big
echo again > /etc/after-free && cat /etc/after-free
"""


def test_full_overlay_gives_enospc_not_a_crash(debian_image, kernel, tmp_path):
    # 256 MiB of RAM: the overlay may hold half; dd wants 400 MB.
    result = run_bundle(build_bundle(debian_image, kernel, tmp_path, shell(FILL)),
                        "--memory", "256M")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "dd exit 1"
    assert lines[1] == "partly written"
    assert lines[-1] == "again"


def add_read_only_record(config: bytes) -> bytes:
    """config.bin with a READ_ONLY_ROOT record (13, u32 1) appended
    (docs/boot-config.md framing: the header's size and count updated)."""
    magic, total, count = struct.unpack_from("<8sII", config)
    record = struct.pack("<HHII", 13, 0, 4, 1)
    body = config[16:total] + record
    return struct.pack("<8sII", magic, 16 + len(body), count + 1) + body


def test_read_only_root_record_keeps_the_root_read_only(busybox_image, kernel, tmp_path):
    script = ("mkdir /x 2>&1; { echo hi > /bin/x; } 2>&1; rm /bin/ls 2>&1; "
              "echo tmp > /tmp/ok && cat /tmp/ok")
    bundle = build_bundle(busybox_image, kernel, tmp_path, shell(script))
    config = bundle / "config.bin"
    config.write_bytes(add_read_only_record(config.read_bytes()))
    boot = boot_bundle(bundle, tmp_path)
    assert boot.returncode == EXIT_APP, boot.log
    assert "cvmify: exit 0" in boot.log
    assert "read-only" in boot.log
    assert boot.stdout.count("Read-only file system") == 3, boot.stdout
    assert boot.stdout.splitlines()[-1].strip() == "tmp"
