"""`docker-daemon:NAME[:TAG]`: an image from the local docker daemon.

The daemon exports the image (`docker save`, through the docker SDK) into
a file in the workdir, which is then read as a docker-archive. The daemon
is a convenience, not a trust anchor: the export is verified like any
archive, and its config digest must equal the image ID the daemon gave.
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path

from cvmify.errors import CvmifyIOError, ImageNotFoundError, IntegrityError
from cvmify.image.archive import open_docker_tree, with_default_tag
from cvmify.image.progress import progress_bar
from cvmify.image.source import Image
from cvmify.image.tree import TarTree

log = logging.getLogger(__name__)

_IMAGE_ID = re.compile(r"(sha256:)?[0-9a-f]{64}")


def _client():
    import docker  # imported late: only this source needs it

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as e:
        raise CvmifyIOError(f"cannot reach the docker daemon: {e}") from None
    return client


def open_daemon_image(name: str, workdir: Path) -> Image:
    import docker

    lookup = name if _IMAGE_ID.fullmatch(name) else with_default_tag(name)
    client = _client()
    try:
        found = client.images.get(lookup)
    except docker.errors.ImageNotFound:
        raise ImageNotFoundError(f"image {lookup!r} is not in the docker daemon") from None
    except docker.errors.DockerException as e:
        raise CvmifyIOError(f"docker daemon: {e}") from None
    finally:
        client.close()
    export = _export(found, lookup, workdir)
    reference = f"docker-daemon:{lookup}"
    image = open_docker_tree(TarTree(export), None, reference)
    if image.config_digest != found.id:
        image.close()
        raise IntegrityError(f"{reference}: daemon exported config {image.config_digest}, "
                             f"expected image ID {found.id}")
    return image


def _export(found, lookup: str, workdir: Path) -> Path:
    """Stream `docker save` of one image into a fresh file in workdir."""
    import docker

    fd, name = tempfile.mkstemp(prefix="daemon-export-", suffix=".tar", dir=workdir)
    path = Path(name)
    log.info("exporting %s from the docker daemon to %s", lookup, path)
    try:
        with open(fd, "wb") as out, progress_bar(None, f"export {lookup}") as bar:
            for chunk in found.save(named=False):
                out.write(chunk)
                bar.update(len(chunk))
    except docker.errors.DockerException as e:
        path.unlink(missing_ok=True)
        raise CvmifyIOError(f"docker save {lookup}: {e}") from None
    except OSError as e:
        path.unlink(missing_ok=True)
        raise CvmifyIOError(f"writing {path}: {e}") from None
    return path
