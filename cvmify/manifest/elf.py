"""Read the few ELF facts the manifest needs: machine, PT_INTERP, DT_NEEDED,
DT_RPATH and DT_RUNPATH.

Input is a file from the image, so it is untrusted: any parse failure is
turned into UnsupportedImageError naming the file. Only program headers
are used (a stripped binary has no section table we could rely on).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from cvmify.errors import UnsupportedImageError

ELF_MAGIC = b"\x7fELF"


@dataclass
class ElfInfo:
    """What the loader needs to know about one ELF object."""

    path: str
    interpreter: str | None = None  # PT_INTERP text, as stored
    needed: list[str] = field(default_factory=list)  # DT_NEEDED, in order
    rpath: list[str] = field(default_factory=list)  # DT_RPATH entries, unexpanded
    runpath: list[str] = field(default_factory=list)  # DT_RUNPATH entries, unexpanded
    is_executable_type: bool = True  # ET_EXEC or ET_DYN (a PIE or a shared object)


def is_elf(data: bytes) -> bool:
    return data[:4] == ELF_MAGIC


def parse_elf(path: str, data: bytes) -> ElfInfo:
    """Parse `data` (the whole file) as an x86-64 ELF. `path` is for messages."""
    if not is_elf(data):
        raise UnsupportedImageError(f"{path}: not an ELF file")
    try:
        elf = ELFFile(io.BytesIO(data))
        return _read(path, elf)
    except UnsupportedImageError:
        raise
    except ELFError as e:
        raise UnsupportedImageError(f"{path}: malformed ELF ({e})") from e
    except Exception as e:  # pyelftools fails on hostile input in many ways (assert, overflow, ...)
        raise UnsupportedImageError(f"{path}: malformed ELF ({type(e).__name__}: {e})") from e


def check_machine(path: str, elf: ELFFile) -> None:
    machine = elf.header["e_machine"]
    if elf.elfclass != 64 or machine != "EM_X86_64":
        raise UnsupportedImageError(
            f"{path}: ELF for {machine} ({elf.elfclass}-bit); only x86-64 is supported"
        )


def _read(path: str, elf: ELFFile) -> ElfInfo:
    check_machine(path, elf)
    info = ElfInfo(path=path)
    info.is_executable_type = elf.header["e_type"] in ("ET_EXEC", "ET_DYN")
    for seg in elf.iter_segments():
        kind = seg.header["p_type"]
        if kind == "PT_INTERP":
            info.interpreter = seg.get_interp_name().rstrip("\0")
        elif kind == "PT_DYNAMIC":
            _read_dynamic(seg, info)
    return info


def _read_dynamic(seg, info: ElfInfo) -> None:
    for tag in seg.iter_tags():
        name = tag.entry.d_tag
        if name == "DT_NEEDED":
            info.needed.append(tag.needed)
        elif name == "DT_RPATH":
            info.rpath.extend(p for p in tag.rpath.split(":") if p)
        elif name == "DT_RUNPATH":
            info.runpath.extend(p for p in tag.runpath.split(":") if p)
