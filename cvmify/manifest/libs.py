"""The shared-library closure of a dynamically linked program, found the
way the program's loader will find it inside the guest.

glibc (ld-linux-x86-64.so.2), per object being loaded:
  1. DT_RPATH of the object, then of the main program (only when the object
     has no DT_RUNPATH);
  2. LD_LIBRARY_PATH from the image environment;
  3. DT_RUNPATH of the object;
  4. /etc/ld.so.cache;
  5. the default directories.
musl (ld-musl-x86_64.so.1): LD_LIBRARY_PATH, then DT_RPATH/DT_RUNPATH, then
/etc/ld-musl-x86_64.path if present, else /lib:/usr/local/lib:/usr/lib.

$ORIGIN is expanded to the directory of the object; entries with other
dynamic string tokens are skipped. A candidate must be an x86-64 ELF
regular file, as the loaders skip incompatible files and keep looking.
"""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass, field

from cvmify.errors import MissingLibraryError, UnsupportedImageError
from cvmify.image.rootfs import RootFS
from cvmify.manifest.elf import ElfInfo, is_elf, parse_elf
from cvmify.manifest.ldcache import load_ld_cache

log = logging.getLogger(__name__)

GLIBC_DEFAULT_DIRS = [
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
]
MUSL_DEFAULT_DIRS = ["/lib", "/usr/local/lib", "/usr/lib"]
MUSL_PATH_FILE = "/etc/ld-musl-x86_64.path"
LD_CACHE_FILE = "/etc/ld.so.cache"
MAX_LIBRARIES = 4096  # a sanity bound against hostile dependency graphs


@dataclass
class LibraryClosure:
    libraries: list[str] = field(default_factory=list)  # paths as the loader finds them


def is_musl_loader(interpreter: str) -> bool:
    return posixpath.basename(interpreter).startswith("ld-musl-")


def read_elf(rootfs: RootFS, path: str) -> ElfInfo:
    return parse_elf(path, rootfs.read(path))


class LibraryResolver:
    """Resolves DT_NEEDED names for one program inside one rootfs."""

    def __init__(self, rootfs: RootFS, interpreter: str, ld_library_path: str = ""):
        self.rootfs = rootfs
        self.musl = is_musl_loader(interpreter)
        self.ld_library_path = [p for p in ld_library_path.split(":") if p]
        self.cache = {} if self.musl else load_ld_cache(self._read_optional(LD_CACHE_FILE))
        self.default_dirs = self._musl_dirs() if self.musl else GLIBC_DEFAULT_DIRS

    def closure(self, program: ElfInfo, program_path: str) -> LibraryClosure:
        """Breadth-first over DT_NEEDED; raises MissingLibraryError naming the
        library and the object that needs it."""
        result = LibraryClosure()
        seen: set[str] = set()
        queue: list[tuple[ElfInfo, str]] = [(program, program_path)]
        while queue:
            obj, obj_path = queue.pop(0)
            for soname in obj.needed:
                if soname in seen:
                    continue
                seen.add(soname)
                found = self.find(soname, obj, obj_path, program)
                if found is None:
                    raise MissingLibraryError(
                        f"library {soname} needed by {obj_path} is not in the image"
                    )
                path, info = found
                result.libraries.append(path)
                queue.append((info, path))
                if len(result.libraries) > MAX_LIBRARIES:
                    raise UnsupportedImageError(f"{program_path}: more than {MAX_LIBRARIES} libraries")
        return result

    def find(self, soname: str, obj: ElfInfo, obj_path: str, program: ElfInfo) -> tuple[str, ElfInfo] | None:
        if "/" in soname:
            path = soname if soname.startswith("/") else None
            return self._try(path) if path else None
        for candidate in self._candidates(soname, obj, obj_path, program):
            found = self._try(candidate)
            if found is not None:
                return found
        return None

    def _candidates(self, soname: str, obj: ElfInfo, obj_path: str, program: ElfInfo):
        origin = posixpath.dirname(obj_path)
        if self.musl:
            dirs = self.ld_library_path + _expand(obj.rpath + obj.runpath, origin) + self.default_dirs
            yield from (posixpath.join(d, soname) for d in dirs)
            return
        if not obj.runpath:
            dirs = _expand(obj.rpath, origin)
            if obj is not program:
                dirs += _expand(program.rpath, origin)
            yield from (posixpath.join(d, soname) for d in dirs)
        yield from (posixpath.join(d, soname) for d in self.ld_library_path)
        yield from (posixpath.join(d, soname) for d in _expand(obj.runpath, origin))
        if soname in self.cache:
            yield self.cache[soname]
        yield from (posixpath.join(d, soname) for d in self.default_dirs)

    def _try(self, path: str) -> tuple[str, ElfInfo] | None:
        if not path.startswith("/"):
            return None
        node = self.rootfs.lookup(path)
        if node is None or not node.is_file:
            return None
        data = self.rootfs.read(path)
        if not is_elf(data):
            return None
        try:
            return path, parse_elf(path, data)
        except UnsupportedImageError as e:
            log.debug("skipping %s: %s", path, e)
            return None

    def _read_optional(self, path: str) -> bytes | None:
        try:
            return self.rootfs.read(path)
        except FileNotFoundError:
            return None

    def _musl_dirs(self) -> list[str]:
        data = self._read_optional(MUSL_PATH_FILE)
        if data is None:
            return MUSL_DEFAULT_DIRS
        text = data.decode("utf-8", "replace")
        return [d.strip() for d in text.replace("\n", ":").split(":") if d.strip()]


def _expand(entries: list[str], origin: str) -> list[str]:
    """$ORIGIN / ${ORIGIN} expanded; other tokens ($LIB, $PLATFORM) skipped."""
    out = []
    for entry in entries:
        entry = entry.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
        if "$" in entry:
            log.debug("skipping search path %r: unsupported token", entry)
            continue
        out.append(posixpath.normpath(entry) if entry.startswith("/") else entry)
    return out
