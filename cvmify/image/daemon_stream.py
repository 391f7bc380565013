"""A `docker save` read as it arrives: layers are scanned while the daemon sends them.

A legacy `docker save` tar (docker < 25, cvmify/image/archive.py) holds, in
name order, `<config hex>.json`, one directory per layer (`VERSION`,
`json`, `layer.tar`), then `manifest.json` and `repositories`. Layer
directories are named by v1 ids, not digests, and manifest.json, which
gives the order, comes last: the layers cannot be applied as they arrive.
So each layer.tar is *scanned* on arrival (cvmify/image/layer_scan.py:
members checked, contents staged) while its sha256 is computed; nothing
of the export itself is written to disk.

When the stream ends, manifest.json and the config are read exactly as for
a docker-archive (the config must hash to its name), and every layer the
manifest lists must hash to the config's diff_id at its position. Only
then do its edits reach the Image, for unpack to replay in order. A layer
that failed its scan is reported after that check, so that a digest
mismatch, if there is one, is what the user sees.

Anything else (the OCI layout newer dockers write) returns None; the
caller then exports to a file and reads that (cvmify/image/daemon.py).
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from cvmify.errors import CvmifyError, CvmifyIOError, IntegrityError, UnsafeImageError
from cvmify.image import mediatypes
from cvmify.image.archive import read_legacy
from cvmify.image.digest import HashingReader
from cvmify.image.layer_scan import READ_ERRORS, Entry, layer_error, prefixed, scan_layer
from cvmify.image.manifests import MAX_CONFIG_SIZE, MAX_LAYERS, MAX_MANIFEST_SIZE
from cvmify.image.source import Image, LayerRef
from cvmify.image.staging import Staging
from cvmify.image.tar_reader import Member, TarReader
from cvmify.image.tree import MAX_ARCHIVE_MEMBERS, MemoryTree
from cvmify.image.unpack import layer_where

log = logging.getLogger(__name__)

READ_BUFFER = 1 << 20
_LAYER_TAR = re.compile(r"([0-9a-f]{64})/layer\.tar")
_DOCUMENT = re.compile(r"manifest\.json|repositories|[0-9a-f]{64}\.json")
_IGNORED = re.compile(r"[0-9a-f]{64}/?|[0-9a-f]{64}/(VERSION|json)")


@dataclass
class _Scanned:
    size: int
    digest: str
    entries: list[Entry] = field(default_factory=list)
    failure: CvmifyError | None = None  # reported only if the manifest lists the layer


class _ChunkReader(io.RawIOBase):
    """A readable stream over an iterator of byte chunks."""

    def __init__(self, chunks: Iterable[bytes], on_chunk=None):
        super().__init__()
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = memoryview(b"")
        self._on_chunk = on_chunk

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
            if self._on_chunk is not None:
                self._on_chunk(len(chunk))
        view = memoryview(buffer).cast("B")
        count = min(len(view), len(self._pending))
        view[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


def read_save_stream(chunks: Iterable[bytes], staging_dir: Path, reference: str,
                     on_chunk=None) -> Image | None:
    """The image in the `docker save` byte stream `chunks`, its layers
    already scanned into `staging_dir` (created; owned by the caller).
    None if the stream is not a legacy docker-save archive."""
    staging_dir.mkdir(parents=True, exist_ok=True)
    staging = Staging(staging_dir)
    stream = io.BufferedReader(_ChunkReader(chunks, on_chunk), READ_BUFFER)
    documents: dict[str, bytes] = {}
    scanned: dict[str, _Scanned] = {}
    try:
        if not _read_members(stream, staging, documents, scanned, reference):
            return None
    except CvmifyError:
        raise
    except READ_ERRORS as e:
        raise CvmifyIOError(f"{reference}: unreadable docker save stream: {e}") from None
    return _image(MemoryTree(reference, documents), scanned, reference)


def _read_members(stream: io.BufferedReader, staging: Staging, documents: dict[str, bytes],
                  scanned: dict[str, "_Scanned"], reference: str) -> bool:
    """Fill `documents` and `scanned`; False at the first member a legacy
    archive does not have."""
    outer = TarReader(stream)
    count = 0
    for member in outer:
        count += 1
        if count > MAX_ARCHIVE_MEMBERS:
            raise UnsafeImageError(f"{reference}: export has more than {MAX_ARCHIVE_MEMBERS} members")
        if member.isreg() and _LAYER_TAR.fullmatch(member.name):
            if len(scanned) >= MAX_LAYERS:
                raise UnsafeImageError(f"{reference}: export has more than {MAX_LAYERS} layers")
            scanned[member.name] = _scan(outer, member, staging)
        elif member.isreg() and _DOCUMENT.fullmatch(member.name):
            documents[member.name] = _read_document(outer, member, reference)
        elif not _IGNORED.fullmatch(member.name):
            log.info("%s: %s is not in a legacy docker-save archive; exporting to a file",
                     reference, member.name)
            return False
    return True


def _read_document(outer: TarReader, member: Member, reference: str) -> bytes:
    limit = MAX_MANIFEST_SIZE if member.name in ("manifest.json", "repositories") else MAX_CONFIG_SIZE
    if member.size > limit:
        raise UnsafeImageError(f"{reference}: {member.name} is larger than {limit} bytes")
    return outer.content().read()


def _scan(outer: TarReader, member: Member, staging: Staging) -> _Scanned:
    """Scan one layer.tar; a failure is kept, not raised (see the module doc)."""
    hashing = HashingReader(outer.content())
    result = _Scanned(0, "")
    try:
        result.entries = list(scan_layer(io.BufferedReader(hashing, READ_BUFFER), staging, member.name))
    except Exception as e:
        error = layer_error(e, member.name)
        if error is None:
            raise
        result.entries, result.failure = [], error
    hashing.drain()  # the reader stops at the end-of-archive blocks; hash all of it
    result.size, result.digest = hashing.size, hashing.digest
    return result


def _image(documents: MemoryTree, scanned: dict[str, _Scanned], reference: str) -> Image:
    legacy = read_legacy(documents, None)
    if len(set(legacy.layer_paths)) != len(legacy.layer_paths):
        raise UnsafeImageError(f"{reference}: manifest.json lists a layer twice")
    layers: list[LayerRef] = []
    edits: dict[int, list[Entry]] = {}
    for index, (diff_id, path) in enumerate(zip(legacy.diff_ids, legacy.layer_paths), 1):
        layer = scanned.get(path)
        if layer is None:
            raise IntegrityError(f"{reference}: layer {path} is missing from the export")
        ref = LayerRef(diff_id, mediatypes.DOCKER_LAYER_TAR, layer.size, diff_id)
        if layer.digest != diff_id:
            raise IntegrityError(f"{layer_where(index, len(legacy.diff_ids), ref)} content (diff_id): "
                                 f"digest mismatch: expected {diff_id}, got {layer.digest}")
        layers.append(ref)
        edits[index - 1] = layer.entries
    for index, (ref, path) in enumerate(zip(layers, legacy.layer_paths), 1):
        failure = scanned[path].failure
        if failure is not None:
            raise prefixed(failure, layer_where(index, len(layers), ref))
    return Image(reference, legacy.config, legacy.config_digest, None, layers, legacy.store, scanned=edits)
