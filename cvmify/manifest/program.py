"""What actually runs: follow shebang lines to an ELF, check its loader and
collect its shared-library closure, all inside the rootfs.

A script's `#!` line names its interpreter (up to MAX_SCRIPT_LEVELS
levels). `#!/usr/bin/env NAME` runs env, which searches PATH for NAME, so
NAME is followed too. Everything the chain executes must be an x86-64 ELF
whose PT_INTERP and DT_NEEDED closure are in the image; otherwise the
build fails here, before anything is written.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from cvmify.errors import InvalidManifestError, MissingLibraryError, UnsupportedImageError
from cvmify.image.rootfs import RootFS
from cvmify.manifest.elf import ElfInfo, is_elf, parse_elf
from cvmify.manifest.libs import LibraryResolver, is_musl_loader
from cvmify.manifest.paths import find_program, is_executable_file

MAX_SCRIPT_LEVELS = 4
SHEBANG_MAX = 256  # Linux reads this much of a script for its #! line


@dataclass
class ProgramInfo:
    entrypoint: str  # canonical path of what the kernel executes first
    kind: str  # "glibc" | "musl" | "static" | "script"
    program: str  # canonical path of the ELF that finally runs
    interpreter: str | None  # final ELF's PT_INTERP (checked present), None if static
    libraries: list[str] = field(default_factory=list)  # union over the chain, sorted
    chain: list[str] = field(default_factory=list)  # every file executed, in order


@dataclass
class _Shebang:
    interpreter: str
    argument: str | None


def parse_shebang(path: str, head: bytes) -> _Shebang:
    """`#!interp [one argument]` from the first line (Linux semantics: the
    rest of the line after the interpreter is a single argument)."""
    line = head[2:].split(b"\n", 1)[0]
    if len(line) + 2 >= SHEBANG_MAX and b"\n" not in head:
        raise UnsupportedImageError(f"{path}: #! line longer than {SHEBANG_MAX} bytes")
    text = line.decode("utf-8", "surrogateescape").strip(" \t\r")
    if not text:
        raise UnsupportedImageError(f"{path}: empty #! line")
    parts = text.split(None, 1)
    argument = parts[1].strip(" \t") if len(parts) > 1 else None
    return _Shebang(parts[0], argument or None)


def analyze_program(
    rootfs: RootFS, entrypoint: str, search_path: str, cwd: str, ld_library_path: str = ""
) -> ProgramInfo:
    """`entrypoint` is an absolute path inside the image (already resolved)."""
    path = _canonical_executable(rootfs, entrypoint)
    chain: list[str] = []
    scripts = 0
    libraries: set[str] = set()
    pending_env_name: str | None = None
    for _ in range(2 * MAX_SCRIPT_LEVELS + 2):
        chain.append(path)
        head = rootfs.read(path, limit=SHEBANG_MAX)
        if head.startswith(b"#!"):
            scripts += 1
            if scripts > MAX_SCRIPT_LEVELS:
                raise UnsupportedImageError(f"{entrypoint}: more than {MAX_SCRIPT_LEVELS} levels of #! scripts")
            shebang = parse_shebang(path, head)
            found = find_program(rootfs, shebang.interpreter, "", cwd)
            if found is None:
                raise MissingLibraryError(f"interpreter {shebang.interpreter} of script {path} is not in the image")
            pending_env_name = shebang.argument if posixpath.basename(found) == "env" else None
            path = found
            continue
        if not is_elf(head):
            raise UnsupportedImageError(f"{path}: neither an ELF binary nor a #! script")
        info = parse_elf(path, rootfs.read(path))
        interpreter = _check_interpreter(rootfs, info, path)
        if interpreter is not None:
            resolver = LibraryResolver(rootfs, interpreter, ld_library_path)
            libraries.update(resolver.closure(info, path).libraries)
        if pending_env_name:
            name = _env_target(pending_env_name, path)
            found = find_program(rootfs, name, search_path, cwd)
            if found is None:
                raise MissingLibraryError(f"program {name} (run by {path} via #!) is not on PATH in the image")
            pending_env_name = None
            path = found
            continue
        return ProgramInfo(
            entrypoint=chain[0],
            kind="script" if scripts else _libc_kind(interpreter),
            program=path,
            interpreter=interpreter,
            libraries=sorted(libraries),
            chain=chain,
        )
    raise UnsupportedImageError(f"{entrypoint}: #! chain too long")


def _canonical_executable(rootfs: RootFS, path: str) -> str:
    if not path.startswith("/"):
        raise InvalidManifestError(f"libos.entrypoint: {path!r} is not an absolute path")
    if not is_executable_file(rootfs, path):
        raise MissingLibraryError(f"entrypoint {path} is not an executable file in the image")
    resolved = rootfs.resolve(path)
    assert resolved is not None  # is_executable_file just found it
    return resolved


def _env_target(argument: str, env_path: str) -> str:
    """`#!/usr/bin/env NAME`: the program env will look up. Options such as
    `-S` are not supported (they change how the line is split)."""
    name = argument.split()[0]
    if name.startswith("-"):
        raise UnsupportedImageError(f"{env_path}: '#!... env {argument}' options are not supported")
    return name


def _check_interpreter(rootfs: RootFS, info: ElfInfo, path: str) -> str | None:
    if info.interpreter is None:
        return None
    loader = info.interpreter
    node = rootfs.lookup(loader) if loader.startswith("/") else None
    if node is None or not node.is_file:
        raise MissingLibraryError(f"program interpreter {loader} needed by {path} is not in the image")
    parse_elf(loader, rootfs.read(loader))  # must itself be an x86-64 ELF
    base = posixpath.basename(loader)
    if not (base.startswith("ld-linux") or base.startswith("ld-musl-")):
        raise UnsupportedImageError(f"{path}: unknown program interpreter {loader}")
    return loader


def _libc_kind(interpreter: str | None) -> str:
    if interpreter is None:
        return "static"
    return "musl" if is_musl_loader(interpreter) else "glibc"
