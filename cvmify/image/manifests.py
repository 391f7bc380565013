"""OCI / docker v2 manifests and indexes: parse, pick linux/amd64, assemble.

Every field read from these JSON documents is type-checked here; digests
are parsed strictly (cvmify/image/digest.py) before anyone uses them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

from cvmify.errors import ImageNotFoundError, IntegrityError, UnsafeImageError, UnsupportedImageError
from cvmify.image import mediatypes
from cvmify.image.digest import parse_digest, read_verified
from cvmify.image.source import BlobStore, Image, LayerRef

MAX_MANIFEST_SIZE = 4 << 20
MAX_CONFIG_SIZE = 8 << 20
MAX_LAYERS = 1000
WANTED_OS = "linux"
WANTED_ARCH = "amd64"
REF_NAME = "org.opencontainers.image.ref.name"


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)


def parse_json(data: bytes, what: str) -> dict:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise UnsupportedImageError(f"{what}: not valid JSON ({e})") from None
    if not isinstance(doc, dict):
        raise UnsupportedImageError(f"{what}: expected a JSON object")
    return doc


def parse_descriptor(raw: object, what: str) -> Descriptor:
    if not isinstance(raw, dict):
        raise UnsupportedImageError(f"{what}: descriptor is not an object")
    media_type = raw.get("mediaType")
    size = raw.get("size")
    if not isinstance(media_type, str):
        raise UnsupportedImageError(f"{what}: descriptor without mediaType")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise UnsafeImageError(f"{what}: bad descriptor size {size!r}")
    digest = str(parse_digest(raw.get("digest"), what))
    platform = raw.get("platform") if isinstance(raw.get("platform"), dict) else {}
    annotations = raw.get("annotations") if isinstance(raw.get("annotations"), dict) else {}
    return Descriptor(media_type, digest, size, platform, annotations)


def document_type(doc: dict, fallback: str | None, what: str) -> str:
    """The media type of a manifest or index: its own field, else the
    transport's (Content-Type, descriptor), else guessed from its shape."""
    media_type = doc.get("mediaType") or fallback
    if not media_type:
        media_type = mediatypes.OCI_INDEX if "manifests" in doc else mediatypes.OCI_MANIFEST
    if media_type not in mediatypes.INDEX_TYPES + mediatypes.MANIFEST_TYPES:
        raise UnsupportedImageError(f"{what}: unsupported manifest media type {media_type!r}")
    return media_type


def index_entries(doc: dict, what: str) -> list[Descriptor]:
    entries = doc.get("manifests")
    if not isinstance(entries, list):
        raise UnsupportedImageError(f"{what}: index without a manifests list")
    return [parse_descriptor(e, f"{what} entry {i}") for i, e in enumerate(entries)]


def platform_name(platform: dict) -> str:
    return f"{platform.get('os', '?')}/{platform.get('architecture', '?')}"


def select_platform(entries: list[Descriptor], what: str) -> Descriptor:
    """The linux/amd64 entry of an index (attestations are 'unknown/unknown')."""
    for entry in entries:
        if entry.platform.get("os") == WANTED_OS and entry.platform.get("architecture") == WANTED_ARCH:
            return entry
    offered = sorted({platform_name(e.platform) for e in entries if e.platform})
    if len(entries) == 1 and not entries[0].platform:
        return entries[0]  # no platform given: the config decides below
    raise UnsupportedImageError(
        f"{what}: no {WANTED_OS}/{WANTED_ARCH} image (offered: {', '.join(offered) or 'none'})"
    )


def select_by_name(entries: list[Descriptor], name: str | None, what: str) -> Descriptor:
    """An OCI layout's index: by org.opencontainers.image.ref.name, or the only entry."""
    if name is None:
        if len(entries) == 1:
            return entries[0]
        names = [e.annotations.get(REF_NAME, e.digest) for e in entries]
        raise ImageNotFoundError(f"{what}: holds {len(entries)} images; name one of: {', '.join(names)}")
    for entry in entries:
        if entry.annotations.get(REF_NAME) == name:
            return entry
    raise ImageNotFoundError(f"{what}: no image named {name!r}")


def check_platform(config: dict) -> None:
    os_name, arch = config.get("os"), config.get("architecture")
    if os_name != WANTED_OS or arch != WANTED_ARCH:
        raise UnsupportedImageError(f"image is {os_name}/{arch}; cvmify needs {WANTED_OS}/{WANTED_ARCH}")


def diff_ids(config: dict, what: str) -> list[str]:
    rootfs = config.get("rootfs")
    if not isinstance(rootfs, dict) or not isinstance(rootfs.get("diff_ids"), list):
        raise UnsupportedImageError(f"{what}: config has no rootfs.diff_ids")
    return [str(parse_digest(d, f"{what} diff_id")) for d in rootfs["diff_ids"]]


def read_config(store: BlobStore, digest: str, size: int | None, what: str) -> dict:
    with store.open_blob(digest, size) as blob:
        data = read_verified(blob, digest, size, MAX_CONFIG_SIZE, f"{what} config")
    config = parse_json(data, f"{what} config")
    check_platform(config)
    return config


def image_from_manifest(reference: str, manifest: bytes, manifest_digest: str | None,
                        media_type: str | None, store: BlobStore) -> Image:
    """Build the Image for an already-verified image manifest."""
    what = reference
    doc = parse_json(manifest, f"{what} manifest")
    if document_type(doc, media_type, what) not in mediatypes.MANIFEST_TYPES:
        raise UnsupportedImageError(f"{what}: expected an image manifest, got an index")
    config_desc = parse_descriptor(doc.get("config"), f"{what} config")
    mediatypes.check_config_type(config_desc.media_type)
    raw_layers = doc.get("layers")
    if not isinstance(raw_layers, list) or len(raw_layers) > MAX_LAYERS:
        raise UnsupportedImageError(f"{what}: manifest needs a layers list (at most {MAX_LAYERS})")
    layers = [parse_descriptor(l, f"{what} layer {i}") for i, l in enumerate(raw_layers)]
    for layer in layers:
        mediatypes.layer_compression(layer.media_type)  # refuse unknown types up front
    config = read_config(store, config_desc.digest, config_desc.size, what)
    ids = diff_ids(config, what)
    if len(ids) != len(layers):
        raise IntegrityError(
            f"{what}: manifest has {len(layers)} layers but the config lists {len(ids)} diff_ids"
        )
    refs = [LayerRef(l.digest, l.media_type, l.size, d) for l, d in zip(layers, ids)]
    return Image(reference, config, config_desc.digest, manifest_digest, refs, store)


def resolve_manifest(fetch: Callable[[Descriptor], bytes], top: Descriptor, what: str,
                     depth: int = 0) -> tuple[Descriptor, bytes]:
    """Follow indexes down to the linux/amd64 image manifest. `fetch` returns
    the verified bytes of a descriptor."""
    data = fetch(top)
    doc = parse_json(data, what)
    media_type = document_type(doc, top.media_type, what)
    if media_type in mediatypes.MANIFEST_TYPES:
        return top, data
    if depth >= 2:
        raise UnsupportedImageError(f"{what}: indexes nested too deep")
    chosen = select_platform(index_entries(doc, what), what)
    return resolve_manifest(fetch, chosen, what, depth + 1)
