"""OCI image layouts (`oci:DIR[:TAG]`), in a directory or inside a tar.

    oci-layout            {"imageLayoutVersion": "1.0.0"}
    index.json            an image index; entries may carry a ref name
    blobs/<alg>/<hex>     content-addressed blobs

The entry is chosen by its `org.opencontainers.image.ref.name` annotation,
or is the only one; nested indexes are resolved to linux/amd64. Every
blob, index.json excepted, is verified against its descriptor.
"""

from __future__ import annotations

from pathlib import Path

from cvmify.errors import ImageNotFoundError, UnsupportedImageError
from cvmify.image import mediatypes
from cvmify.image.digest import read_verified
from cvmify.image.manifests import (
    MAX_MANIFEST_SIZE,
    REF_NAME,
    Descriptor,
    document_type,
    image_from_manifest,
    index_entries,
    parse_json,
    resolve_manifest,
    select_by_name,
)
from cvmify.image.source import Image
from cvmify.image.tree import DirTree, Tree, TreeBlobStore

CONTAINERD_NAME = "io.containerd.image.name"


def is_layout(tree: Tree) -> bool:
    return tree.exists("oci-layout") and tree.exists("index.json")


def _split_dir_and_tag(text: str) -> tuple[Path, str | None]:
    """'dir' or 'dir:tag'; an existing path wins over the split."""
    if Path(text).exists() or ":" not in text:
        return Path(text), None
    path, tag = text.rsplit(":", 1)
    return Path(path), tag or None


def open_layout_dir(text: str) -> Image:
    path, tag = _split_dir_and_tag(text)
    tree = DirTree(path)
    reference = f"oci:{path.resolve()}" + (f":{tag}" if tag else "")
    return open_layout(tree, tag, reference)


def _matches(entry: Descriptor, name: str) -> bool:
    """By ref name; for docker's own layouts also by the full image name."""
    if entry.annotations.get(REF_NAME) == name:
        return True
    full = entry.annotations.get(CONTAINERD_NAME)
    return full is not None and full in (name, f"docker.io/library/{name}", f"docker.io/{name}")


def _choose(entries: list[Descriptor], name: str | None, what: str) -> Descriptor:
    if name is None:
        return select_by_name(entries, None, what)
    for entry in entries:
        if _matches(entry, name):
            return entry
    raise ImageNotFoundError(f"{what}: no image named {name!r}")


def open_layout(tree: Tree, name: str | None, reference: str) -> Image:
    """Open the image named `name` (or the only one) in an OCI layout. Takes
    ownership of `tree`: the Image closes it."""
    store = TreeBlobStore(tree)
    try:
        if not is_layout(tree):
            raise ImageNotFoundError(f"{tree.name}: not an OCI image layout (no oci-layout/index.json)")
        index = parse_json(tree.read("index.json", MAX_MANIFEST_SIZE), f"{tree.name} index.json")
        if document_type(index, mediatypes.OCI_INDEX, tree.name) not in mediatypes.INDEX_TYPES:
            raise UnsupportedImageError(f"{tree.name}: index.json is not an image index")
        top = _choose(index_entries(index, tree.name), name, tree.name)

        def fetch(desc: Descriptor) -> bytes:
            with store.open_blob(desc.digest, desc.size) as blob:
                return read_verified(blob, desc.digest, desc.size, MAX_MANIFEST_SIZE,
                                     f"{tree.name} manifest {desc.digest[:19]}")

        chosen, manifest = resolve_manifest(fetch, top, tree.name)
        return image_from_manifest(reference, manifest, chosen.digest, chosen.media_type, store)
    except BaseException:
        store.close()
        raise
