"""The `debian` test image: a Debian minbase root from debootstrap.

Steps: debootstrap into a scratch directory, drop apt's package lists and
caches (they are large and stale at once), tar the tree without the
contents of /dev, /proc and /sys, and hand the tarball to `docker import`.
Needs root (debootstrap creates device nodes and chroots).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

from tests.images.mirror import debian_mirror

log = logging.getLogger(__name__)

SUITE = "bookworm"
VARIANT = "minbase"
# Recipe facts that change the result; part of the image's content hash.
RECIPE = f"debootstrap --variant={VARIANT} {SUITE}; no apt lists/caches".encode()
CHANGES = [
    'CMD ["/bin/bash"]',
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
]

# Paths (relative to the new root) emptied before packing.
CLEAN_GLOBS = [
    "var/lib/apt/lists/*",
    "var/cache/apt/*.bin",
    "var/cache/apt/archives/*.deb",
    "var/cache/debconf/*-old",
    "var/log/*.log",
    "tmp/*",
]


class DebootstrapError(RuntimeError):
    pass


def mounts_under(root: Path) -> list[str]:
    """Mount points at or below `root` (debootstrap mounts /proc and /sys
    while it runs; a crash can leave them behind)."""
    prefix = str(root.resolve())
    found = []
    with open("/proc/self/mounts") as handle:
        for line in handle:
            point = line.split()[1].replace("\\040", " ")
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return sorted(found, key=len, reverse=True)


def remove_root(root: Path) -> None:
    """Delete a debootstrap tree, but never through a live mount: that would
    delete the host's /proc, /sys or /dev entries."""
    if not root.exists():
        return
    for point in mounts_under(root):
        subprocess.run(["umount", "-l", point], check=False)
    left = mounts_under(root)
    if left:
        raise DebootstrapError(f"refusing to delete {root}: still mounted: {left}")
    shutil.rmtree(root)


def clean(root: Path) -> None:
    for pattern in CLEAN_GLOBS:
        for path in root.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                if path.name != "partial":
                    shutil.rmtree(path)
            else:
                path.unlink()


def debootstrap(root: Path, mirror: str) -> None:
    if os.geteuid() != 0:
        raise DebootstrapError("building the debian test image needs root (debootstrap)")
    if shutil.which("debootstrap") is None:
        raise DebootstrapError("debootstrap is not installed (scripts/setup.sh installs it)")
    argv = ["nice", "debootstrap", f"--variant={VARIANT}", SUITE, str(root), mirror]
    log.info("running %s", " ".join(argv))
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        debootstrap_log = root / "debootstrap" / "debootstrap.log"
        if debootstrap_log.is_file():
            tail += "\n" + "\n".join(debootstrap_log.read_text(errors="replace").splitlines()[-30:])
        raise DebootstrapError(f"debootstrap failed ({result.returncode}):\n{tail}")


def pack(root: Path, tarball: Path) -> None:
    """Tar the tree with numeric owners; keep /dev, /proc and /sys as empty
    directories (the kernel fills them at run time)."""
    argv = [
        "tar", "--numeric-owner", "--xattrs", "-C", str(root),
        "--exclude=./dev/*", "--exclude=./proc/*", "--exclude=./sys/*",
        "-cf", str(tarball), ".",
    ]
    subprocess.run(argv, check=True)


def make_rootfs_tarball(workdir: Path) -> Path:
    """Bootstrap, clean and pack; returns the tarball (inside `workdir`)."""
    root = workdir / "root"
    tarball = workdir / "rootfs.tar"
    remove_root(root)
    try:
        debootstrap(root, debian_mirror(SUITE))
        clean(root)
        pack(root, tarball)
    finally:
        remove_root(root)
    return tarball
