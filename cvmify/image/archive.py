"""Image archives: `oci-archive:FILE[:TAG]` and `docker-archive:FILE[:NAME[:TAG]]`.

A `docker save` tar comes in two shapes:
- legacy (docker < 25, the daemon here): manifest.json listing, per image,
  "Config": "<config hex>.json", "RepoTags" and "Layers": ["<id>/layer.tar"].
  The config is named by its own digest, and each layer.tar is the
  uncompressed layer, so its digest is the config's diff_id: everything is
  verifiable without a registry manifest (manifest_digest is None).
- newer: an OCI layout (oci-layout, index.json, blobs/) plus manifest.json;
  then the layout is read, as for oci-archive.
The tar is read in place, never extracted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from cvmify.errors import ImageNotFoundError, UnsupportedImageError
from cvmify.image import mediatypes
from cvmify.image.layout import is_layout, open_layout
from cvmify.image.manifests import MAX_LAYERS, MAX_MANIFEST_SIZE, diff_ids, read_config
from cvmify.image.source import Image, LayerRef
from cvmify.image.tree import TarTree, Tree, TreeBlobStore

_LEGACY_CONFIG = re.compile(r"(?:blobs/sha256/)?([0-9a-f]{64})(?:\.json)?")


def _split_file_and_name(text: str, split_last: bool) -> tuple[Path, str | None]:
    """An existing file wins; else split off the image name (':' in paths
    is not supported when a name follows)."""
    if Path(text).exists() or ":" not in text:
        return Path(text), None
    path, name = text.rsplit(":", 1) if split_last else text.split(":", 1)
    return Path(path), name or None


def with_default_tag(name: str) -> str:
    """'x' -> 'x:latest'; 'host:5000/x' -> 'host:5000/x:latest'; digests untouched."""
    if "@" in name or ":" in name.rsplit("/", 1)[-1]:
        return name
    return f"{name}:latest"


def open_oci_archive(text: str) -> Image:
    path, tag = _split_file_and_name(text, split_last=True)
    reference = f"oci-archive:{path.resolve()}" + (f":{tag}" if tag else "")
    return open_layout(TarTree(path), tag, reference)


def open_docker_archive(text: str) -> Image:
    path, name = _split_file_and_name(text, split_last=False)
    name = with_default_tag(name) if name else None
    reference = f"docker-archive:{path.resolve()}" + (f":{name}" if name else "")
    return open_docker_tree(TarTree(path), name, reference)


def open_docker_tree(tree: Tree, name: str | None, reference: str) -> Image:
    """A `docker save` archive already opened as a tree. Owns `tree`."""
    try:
        if is_layout(tree):
            return open_layout(tree, name, reference)
        return _open_legacy(tree, name, reference)
    except BaseException:
        tree.close()
        raise


def _pick_entry(entries: list, name: str | None, what: str) -> dict:
    if not entries or not all(isinstance(e, dict) for e in entries):
        raise UnsupportedImageError(f"{what}: manifest.json lists no images")
    if name is None:
        if len(entries) != 1:
            tags = [t for e in entries for t in (e.get("RepoTags") or [])]
            raise ImageNotFoundError(f"{what}: holds {len(entries)} images; name one of: {', '.join(tags)}")
        return entries[0]
    for entry in entries:
        tags = entry.get("RepoTags") or []
        if name in tags or name.removeprefix("docker.io/library/") in tags:
            return entry
    raise ImageNotFoundError(f"{what}: no image named {name!r}")


def _open_legacy(tree: Tree, name: str | None, reference: str) -> Image:
    legacy = read_legacy(tree, name)
    layers = []
    for diff_id, layer_path in zip(legacy.diff_ids, legacy.layer_paths):
        legacy.store.paths[diff_id] = layer_path
        layers.append(LayerRef(diff_id, mediatypes.DOCKER_LAYER_TAR, _size(tree, layer_path), diff_id))
    return Image(reference, legacy.config, legacy.config_digest, None, layers, legacy.store)


@dataclass
class LegacyImage:
    """What a legacy manifest.json and its verified config say."""

    config: dict
    config_digest: str
    diff_ids: list[str]
    layer_paths: list[str]  # the layer tars, in order; one per diff_id
    store: TreeBlobStore


def read_legacy(tree: Tree, name: str | None) -> LegacyImage:
    """Parse manifest.json, pick the image, read and verify its config
    (named by its own digest). The layer tars are not touched."""
    what = tree.name
    if not tree.exists("manifest.json"):
        raise UnsupportedImageError(f"{what}: not a docker-save archive (no manifest.json)")
    try:
        images = json.loads(tree.read("manifest.json", MAX_MANIFEST_SIZE))
    except (ValueError, UnicodeDecodeError) as e:
        raise UnsupportedImageError(f"{what}: manifest.json is not valid JSON ({e})") from None
    if not isinstance(images, list):
        raise UnsupportedImageError(f"{what}: manifest.json is not a list")
    entry = _pick_entry(images, name, what)
    config_path, layer_paths = entry.get("Config"), entry.get("Layers")
    match = _LEGACY_CONFIG.fullmatch(config_path) if isinstance(config_path, str) else None
    if match is None:
        raise UnsupportedImageError(f"{what}: unexpected config name {config_path!r}")
    if (not isinstance(layer_paths, list) or len(layer_paths) > MAX_LAYERS
            or not all(isinstance(p, str) for p in layer_paths)):
        raise UnsupportedImageError(f"{what}: manifest.json has a bad Layers list")
    config_digest = f"sha256:{match.group(1)}"
    store = TreeBlobStore(tree, {config_digest: config_path})
    config = read_config(store, config_digest, None, what)
    ids = diff_ids(config, what)
    if len(ids) != len(layer_paths):
        raise UnsupportedImageError(f"{what}: {len(layer_paths)} layers but {len(ids)} diff_ids")
    return LegacyImage(config, config_digest, ids, layer_paths, store)


def _size(tree: Tree, path: str) -> int:
    try:
        with tree.open(path) as f:
            return f.seek(0, 2)
    except FileNotFoundError:
        raise ImageNotFoundError(f"{tree.name}: layer {path} is missing") from None
