"""The measured kernel image: the bytes the loader places from the ELF.

docs/measurements.md: every PT_LOAD segment with p_filesz > 0 contributes
its file bytes at p_paddr; the image runs from the lowest p_paddr to the
highest p_paddr + p_filesz, gaps and bss tails inside it are zeros. The
guest hashes the same range of its own memory before writing to .data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from cvmify.errors import BadBundleError, CvmifyIOError

MAX_IMAGE_SIZE = 64 << 20  # a far larger kernel image means a wrong file, not a kernel


@dataclass(frozen=True)
class Segment:
    paddr: int
    filesz: int
    memsz: int
    offset: int


def load_segments(path: Path) -> list[Segment]:
    """PT_LOAD segments that occupy memory, sorted by physical address."""
    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            segments = [
                Segment(seg["p_paddr"], seg["p_filesz"], seg["p_memsz"], seg["p_offset"])
                for seg in elf.iter_segments()
                if seg["p_type"] == "PT_LOAD" and seg["p_memsz"] > 0
            ]
    except OSError as e:
        raise CvmifyIOError(f"{path}: {e}") from e
    except ELFError as e:
        raise BadBundleError(f"{path}: not a valid ELF file: {e}") from e
    segments.sort(key=lambda s: s.paddr)
    for seg in segments:
        if seg.filesz > seg.memsz:
            raise BadBundleError(f"{path}: PT_LOAD at {seg.paddr:#x} has p_filesz > p_memsz")
    for low, high in zip(segments, segments[1:]):
        if low.paddr + low.memsz > high.paddr:
            raise BadBundleError(f"{path}: PT_LOAD segments at {low.paddr:#x} and {high.paddr:#x} overlap")
    return segments


def kernel_image(path: Path) -> bytes:
    """The measured byte range, built as the loader lays it out."""
    loaded = [seg for seg in load_segments(path) if seg.filesz > 0]
    if not loaded:
        raise BadBundleError(f"{path}: no PT_LOAD segment with file content")
    start = loaded[0].paddr
    end = max(seg.paddr + seg.filesz for seg in loaded)
    if end - start > MAX_IMAGE_SIZE:
        raise BadBundleError(f"{path}: loaded image spans {end - start} bytes")
    image = bytearray(end - start)
    try:
        with open(path, "rb") as f:
            for seg in loaded:
                f.seek(seg.offset)
                data = f.read(seg.filesz)
                if len(data) != seg.filesz:
                    raise BadBundleError(f"{path}: PT_LOAD at {seg.paddr:#x} runs past the end of the file")
                image[seg.paddr - start:seg.paddr - start + seg.filesz] = data
    except OSError as e:
        raise CvmifyIOError(f"{path}: {e}") from e
    return bytes(image)


def kernel_image_digest(path: Path) -> bytes:
    """SHA-384 of kernel_image(path): the `kernel` measurement."""
    return hashlib.sha384(kernel_image(Path(path))).digest()
