"""The three ways a test image reaches the docker daemon.

- build:  `docker build` of a staged context (Dockerfile images);
- import: `docker import` of a root filesystem tarball (debian);
- load:   `docker load` of a hand-written docker-archive (layers).

All go through the docker SDK's low-level API so errors in the daemon's
progress stream become exceptions instead of scrolling past.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import docker
import docker.errors

from tests.images.cache import HASH_LABEL

log = logging.getLogger(__name__)


class ImageBuildError(RuntimeError):
    pass


def find_image(client: docker.DockerClient, ref: str):
    """The image named `ref`, or None."""
    try:
        return client.images.get(ref)
    except docker.errors.ImageNotFound:
        return None


def drain(stream, what: str) -> str | None:
    """Consume a decoded progress stream; raise on an error entry. Returns
    the image id the daemon reported, when it reported one."""
    tail: list[str] = []
    image_id = None
    for entry in stream:
        if "error" in entry:
            detail = "".join(tail[-30:])
            raise ImageBuildError(f"{what}: {entry['error'].strip()}\n{detail}")
        text = entry.get("stream") or entry.get("status") or ""
        if text:
            tail.append(text if text.endswith("\n") else text + "\n")
            log.debug("%s: %s", what, text.rstrip())
        aux = entry.get("aux")
        if isinstance(aux, dict) and "ID" in aux:
            image_id = aux["ID"]
    return image_id


def build_context(client: docker.DockerClient, context: Path, tag: str,
                  buildargs: dict[str, str], content_hash: str) -> str:
    """`docker build --network host` of `context`, tagged `tag`. Host
    networking because the daemon may run without a bridge."""
    stream = client.api.build(
        path=str(context), tag=tag, buildargs=buildargs, labels={HASH_LABEL: content_hash},
        network_mode="host", rm=True, forcerm=True, pull=False, decode=True,
    )
    drain(stream, f"docker build {tag}")
    image = find_image(client, tag)
    if image is None:
        raise ImageBuildError(f"docker build {tag}: finished but the tag is missing")
    return image.id


def import_rootfs(client: docker.DockerClient, tarball: Path, tag: str,
                  changes: list[str]) -> str:
    """`docker import` of a root filesystem tarball with Dockerfile-style
    `changes` (CMD, ENV, LABEL...)."""
    repo, _, version = tag.rpartition(":")
    reply = client.api.import_image_from_file(str(tarball), repository=repo, tag=version,
                                              changes=changes)
    for line in str(reply).splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and "error" in entry:
            raise ImageBuildError(f"docker import {tag}: {entry['error']}")
    image = find_image(client, tag)
    if image is None:
        raise ImageBuildError(f"docker import {tag}: finished but the tag is missing: {reply}")
    return image.id


def load_archive(client: docker.DockerClient, archive: Path, tag: str) -> str:
    """`docker load` of a docker-archive whose manifest names `tag`."""
    with open(archive, "rb") as handle:
        client.images.load(handle)
    image = find_image(client, tag)
    if image is None:
        raise ImageBuildError(f"docker load {tag}: finished but the tag is missing")
    return image.id


def save_image(client: docker.DockerClient, ref: str, out: Path) -> None:
    """`docker save` of one image to a file."""
    image = client.images.get(ref)
    with open(out, "wb") as handle:
        for chunk in image.save(named=False):
            handle.write(chunk)


def point_tag(client: docker.DockerClient, image_id: str, ref: str) -> None:
    """Make `ref` (repo:tag) name `image_id`, moving it if needed."""
    repo, _, version = ref.rpartition(":")
    client.api.tag(image_id, repo, version, force=True)
