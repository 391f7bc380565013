"""The one interface every image source sits behind.

`open_image(reference, workdir)` picks a source by the containers-transports
prefix of `reference` and returns an `Image`: the config JSON, the layer
list, and a BlobStore that hands out stored blobs. Whatever the source, the
Image verifies every blob it hands out (cvmify/image/layer_stream.py), so a
source only has to find bytes, never to vouch for them.

Transports:
    docker-daemon:NAME[:TAG]     the local docker daemon (cvmify/image/daemon.py)
    docker://REGISTRY/REPO[:TAG|@DIGEST]   a registry (cvmify/image/registry.py)
    oci:DIR[:TAG]                an OCI image layout directory (cvmify/image/layout.py)
    oci-archive:FILE[:TAG]       a tar of an OCI image layout
    docker-archive:FILE[:NAME[:TAG]]   a `docker save` tar (cvmify/image/archive.py)
    NAME[:TAG]                   the daemon first, then the registry
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from cvmify.errors import CvmifyIOError, ImageNotFoundError, UsageError

if TYPE_CHECKING:
    from cvmify.image.layer_stream import UnpackBudget

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LayerRef:
    digest: str  # digest of the stored blob (compressed, if it is)
    media_type: str
    size: int  # size of the stored blob in bytes
    diff_id: str | None = None  # digest of the uncompressed tar, from the config


class BlobStore(ABC):
    """Where a source keeps its blobs. Returns stored bytes, unverified."""

    @abstractmethod
    def open_blob(self, digest: str, size: int | None) -> BinaryIO: ...

    def close(self) -> None:
        pass


@dataclass
class Image:
    reference: str  # what the user typed, normalized (transport included)
    config: dict  # the image config JSON ("config", "rootfs", "architecture", "os")
    config_digest: str  # "sha256:..."
    manifest_digest: str | None  # the platform manifest's digest; None for `docker save`
    layers: list[LayerRef]
    store: BlobStore | None = field(default=None, repr=False)
    # index in `layers` -> edits a source already read and verified while
    # fetching (cvmify/image/layer_scan.py); unpack replays them, once: the
    # layer's tar itself was not kept (see cvmify/image/daemon_stream.py)
    scanned: dict[int, list] = field(default_factory=dict, repr=False)
    prescanned: frozenset[int] = field(default=frozenset(), repr=False)
    budget: UnpackBudget | None = field(default=None, repr=False)  # made on first open_layer

    def __post_init__(self) -> None:
        self.prescanned = frozenset(self.scanned)

    def take_scanned(self, index: int) -> list | None:
        """The edits of layers[index] if the source scanned it (None if it
        did not). They are handed out once: replaying them builds the tree
        from their nodes."""
        if index not in self.prescanned:
            return None
        if index not in self.scanned:
            raise CvmifyIOError(f"{self.reference}: layer {index + 1} was already unpacked; "
                                "open the image again to unpack it again")
        return self.scanned.pop(index)

    def open_layer(self, layer: LayerRef) -> BinaryIO:
        """The *uncompressed* tar of `layer`. Both the stored blob's digest and
        the diff_id are checked when the stream is exhausted, verified or
        closed: an IntegrityError then means the bytes must not be used."""
        from cvmify.image.layer_stream import LayerStream, UnpackBudget, max_image_size

        if self.budget is None:
            self.budget = UnpackBudget(max_image_size())
        if self.store is None:
            raise CvmifyIOError(f"{self.reference}: image is closed")
        where = f"layer {layer.digest[:19]}"
        if any(self.layers[i] is layer for i in self.prescanned):
            raise CvmifyIOError(f"{self.reference}: {where} was unpacked while it was fetched; "
                                "its tar was not kept")
        blob = self.store.open_blob(layer.digest, layer.size)
        return LayerStream(blob, layer.digest, layer.size, layer.media_type, layer.diff_id, where,
                           self.budget)

    @property
    def platform(self) -> str:
        return f"{self.config.get('os')}/{self.config.get('architecture')}"

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def __enter__(self) -> "Image":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


TRANSPORTS = ("docker-daemon", "docker", "oci", "oci-archive", "docker-archive")


def split_transport(reference: str) -> tuple[str, str]:
    """'docker://x/y' -> ('docker', 'x/y'); 'oci:dir' -> ('oci', 'dir');
    a bare name -> ('', name)."""
    if reference.startswith("docker://"):
        return "docker", reference[len("docker://"):]
    prefix, sep, rest = reference.partition(":")
    if sep and prefix in TRANSPORTS and prefix != "docker":
        return prefix, rest
    return "", reference


def open_image(reference: str, workdir: Path) -> Image:
    """Open `reference` (see the module docstring). `workdir` is a private
    directory owned by the caller; downloads and exports go there."""
    transport, rest = split_transport(reference.strip())
    if not rest:
        raise UsageError(f"empty image reference {reference!r}")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if transport == "docker-daemon":
        from cvmify.image.daemon import open_daemon_image

        return open_daemon_image(rest, workdir)
    if transport == "docker":
        from cvmify.image.registry import open_registry_image

        return open_registry_image(rest, workdir)
    if transport == "oci":
        from cvmify.image.layout import open_layout_dir

        return open_layout_dir(rest)
    if transport == "oci-archive":
        from cvmify.image.archive import open_oci_archive

        return open_oci_archive(rest)
    if transport == "docker-archive":
        from cvmify.image.archive import open_docker_archive

        return open_docker_archive(rest)
    return _open_bare(rest, workdir)


def _open_bare(name: str, workdir: Path) -> Image:
    """A bare name: the local daemon first, then the registry it names."""
    from cvmify.image.daemon import open_daemon_image
    from cvmify.image.registry import open_registry_image

    try:
        return open_daemon_image(name, workdir)
    except (ImageNotFoundError, CvmifyIOError) as daemon_error:
        log.info("%s: not from the docker daemon (%s); trying the registry", name, daemon_error)
        try:
            return open_registry_image(name, workdir)
        except (ImageNotFoundError, CvmifyIOError) as registry_error:
            raise ImageNotFoundError(
                f"image {name!r} not found: daemon: {daemon_error}; registry: {registry_error}"
            ) from None
