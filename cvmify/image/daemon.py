"""`docker-daemon:NAME[:TAG]`: an image from the local docker daemon.

The daemon exports the image (`docker save`, through the docker SDK). A
legacy export (docker < 25, the daemon here) is read as it arrives, its
layers scanned on the way (cvmify/image/daemon_stream.py); any other is
written to a file in the workdir and read as a docker-archive. The daemon
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
from cvmify.image.daemon_stream import read_save_stream
from cvmify.image.progress import progress_bar
from cvmify.image.source import Image
from cvmify.image.tree import TarTree

log = logging.getLogger(__name__)

_IMAGE_ID = re.compile(r"(sha256:)?[0-9a-f]{64}")
EXPORT_CHUNK = 1 << 20


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
    reference = f"docker-daemon:{lookup}"
    image = _open_streamed(found, lookup, workdir, reference)
    if image is None:
        image = open_docker_tree(TarTree(_export(found, lookup, workdir)), None, reference)
    if image.config_digest != found.id:
        image.close()
        raise IntegrityError(f"{reference}: daemon exported config {image.config_digest}, "
                             f"expected image ID {found.id}")
    return image


def _open_streamed(found, lookup: str, workdir: Path, reference: str) -> Image | None:
    """The image read straight from `docker save`, layers scanned into a
    fresh directory in workdir; None if the export is not a legacy one."""
    import docker
    import requests
    import urllib3

    staging = Path(tempfile.mkdtemp(prefix="daemon-layers-", dir=workdir))
    log.info("streaming %s from the docker daemon, layers scanned into %s", lookup, staging)
    chunks = found.save(chunk_size=EXPORT_CHUNK, named=False)
    try:
        with progress_bar(None, f"export {lookup}") as bar:
            return read_save_stream(chunks, staging, reference, bar.update)
    except (docker.errors.DockerException, requests.RequestException, urllib3.exceptions.HTTPError) as e:
        raise CvmifyIOError(f"docker save {lookup}: {e}") from None
    finally:
        chunks.close()  # stops the daemon's export if we left early


def _export(found, lookup: str, workdir: Path) -> Path:
    """Stream `docker save` of one image into a fresh file in workdir."""
    import docker

    fd, name = tempfile.mkstemp(prefix="daemon-export-", suffix=".tar", dir=workdir)
    path = Path(name)
    log.info("exporting %s from the docker daemon to %s", lookup, path)
    try:
        with open(fd, "wb") as out, progress_bar(None, f"export {lookup}") as bar:
            for chunk in found.save(chunk_size=EXPORT_CHUNK, named=False):
                out.write(chunk)
                bar.update(len(chunk))
    except docker.errors.DockerException as e:
        path.unlink(missing_ok=True)
        raise CvmifyIOError(f"docker save {lookup}: {e}") from None
    except OSError as e:
        path.unlink(missing_ok=True)
        raise CvmifyIOError(f"writing {path}: {e}") from None
    return path
