"""Media types we read, and how each layer type is compressed.

Anything not listed here is refused with UnsupportedImageError naming it.
"""

from __future__ import annotations

import importlib.util

from cvmify.errors import UnsupportedImageError

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"

INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
CONFIG_TYPES = (OCI_CONFIG, DOCKER_CONFIG)

# The Accept header for manifest requests: every manifest and index we read.
MANIFEST_ACCEPT = ", ".join(MANIFEST_TYPES + INDEX_TYPES)

OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
# Not a registry type: what we call the plain layer.tar of a `docker save`.
DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar"

# layer media type -> compression ("none", "gzip", "zstd")
LAYER_COMPRESSION = {
    OCI_LAYER_TAR: "none",
    DOCKER_LAYER_TAR: "none",
    OCI_LAYER_GZIP: "gzip",
    DOCKER_LAYER_GZIP: "gzip",
    OCI_LAYER_ZSTD: "zstd",
}


def layer_compression(media_type: str) -> str:
    """"none", "gzip" or "zstd"; refuses types we cannot decompress here."""
    compression = LAYER_COMPRESSION.get(media_type)
    if compression is None:
        raise UnsupportedImageError(f"unsupported layer media type {media_type!r}")
    if compression == "zstd" and importlib.util.find_spec("zstandard") is None:
        raise UnsupportedImageError(
            f"layer media type {media_type!r} needs the 'zstandard' Python module"
        )
    return compression


def check_config_type(media_type: str) -> None:
    if media_type not in CONFIG_TYPES:
        raise UnsupportedImageError(
            f"unsupported config media type {media_type!r} (not a container image?)"
        )
