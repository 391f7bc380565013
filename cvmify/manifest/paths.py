"""Finding programs inside the image: PATH search and working-directory
resolution, following symlinks inside the rootfs only (RootFS.resolve)."""

from __future__ import annotations

import posixpath

from cvmify.image.rootfs import RootFS

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def is_executable_file(rootfs: RootFS, path: str) -> bool:
    """A regular file (after symlinks) with at least one execute bit."""
    node = rootfs.lookup(path)
    return node is not None and node.is_file and bool(node.mode & 0o111)


def find_program(rootfs: RootFS, name: str, search_path: str, cwd: str) -> str | None:
    """Where execvp would find `name`, as a canonical absolute path, or None.

    - absolute: itself;
    - contains '/': relative to `cwd`;
    - otherwise: each PATH entry in order (an empty entry means `cwd`).
    """
    if "/" in name:
        candidates = [name if name.startswith("/") else posixpath.join(cwd, name)]
    else:
        candidates = [posixpath.join(d or cwd, name) for d in search_path.split(":")]
    for candidate in candidates:
        if not candidate.startswith("/"):
            continue  # a relative PATH entry; the guest has no meaningful cwd for it
        if is_executable_file(rootfs, candidate):
            return rootfs.resolve(candidate)
    return None
