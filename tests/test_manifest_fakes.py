"""Builders shared by the manifest tests: hand-made RootFS trees and tiny
but real ELF files (parsed by pyelftools like any other binary).

No tests here; the other test_manifest_* files import these helpers."""

from __future__ import annotations

import stat
import struct
from pathlib import Path

from cvmify.image.rootfs import Node, RootFS, new_dir, split_path

EM_X86_64 = 62
EM_AARCH64 = 183
GLIBC_LD = "/lib64/ld-linux-x86-64.so.2"
MUSL_LD = "/lib/ld-musl-x86_64.so.1"

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ, DT_RPATH, DT_RUNPATH = 0, 1, 5, 10, 15, 29
EHDR_SIZE, PHDR_SIZE = 64, 56


def make_elf(interp=None, needed=(), rpath=None, runpath=None, machine=EM_X86_64) -> bytes:
    """A 64-bit little-endian ELF with one PT_LOAD mapping the whole file
    at address 0, plus PT_INTERP and PT_DYNAMIC when asked for."""
    strtab = bytearray(b"\0")

    def add_string(text: str) -> int:
        offset = len(strtab)
        strtab.extend(text.encode() + b"\0")
        return offset

    dyn = [(DT_NEEDED, add_string(name)) for name in needed]
    if rpath is not None:
        dyn.append((DT_RPATH, add_string(rpath)))
    if runpath is not None:
        dyn.append((DT_RUNPATH, add_string(runpath)))
    has_dynamic = bool(dyn)
    phnum = 1 + (interp is not None) + has_dynamic
    cursor = EHDR_SIZE + phnum * PHDR_SIZE
    interp_bytes = interp.encode() + b"\0" if interp is not None else b""
    interp_off = cursor
    cursor += len(interp_bytes)
    strtab_off = cursor
    cursor += len(strtab)
    cursor += -cursor % 8
    dyn_off = cursor
    dyn += [(DT_STRTAB, strtab_off), (DT_STRSZ, len(strtab)), (DT_NULL, 0)]
    dyn_bytes = b"".join(struct.pack("<qQ", tag, val) for tag, val in dyn) if has_dynamic else b""
    total = dyn_off + len(dyn_bytes)

    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 3, machine, 1, 0, EHDR_SIZE, 0, 0, EHDR_SIZE, PHDR_SIZE, phnum, 64, 0, 0)
    phdrs = [struct.pack("<IIQQQQQQ", PT_LOAD, 5, 0, 0, 0, total, total, 0x1000)]
    if interp is not None:
        phdrs.append(struct.pack("<IIQQQQQQ", PT_INTERP, 4, interp_off, interp_off, interp_off, len(interp_bytes), len(interp_bytes), 1))
    if has_dynamic:
        phdrs.append(struct.pack("<IIQQQQQQ", PT_DYNAMIC, 6, dyn_off, dyn_off, dyn_off, len(dyn_bytes), len(dyn_bytes), 8))
    body = bytearray(ehdr + b"".join(phdrs))
    body += interp_bytes + strtab
    body += bytes(dyn_off - len(body))
    body += dyn_bytes
    return bytes(body)


class FakeRoot:
    """Build a RootFS by hand; blobs go to `staging`."""

    def __init__(self, staging: Path):
        staging.mkdir(parents=True, exist_ok=True)
        self.rootfs = RootFS(staging=staging)
        self.count = 0

    def dir(self, path: str) -> Node:
        node = self.rootfs.root
        for part in split_path(path):
            child = node.children.get(part)
            if child is None:
                child = new_dir()
                child.parent = node
                node.children[part] = child
            node = child
        return node

    def _place(self, path: str, node: Node) -> None:
        parent, _, name = path.rstrip("/").rpartition("/")
        self.dir(parent or "/").children[name] = node

    def file(self, path: str, data: bytes | str, mode: int = 0o755) -> None:
        if isinstance(data, str):
            data = data.encode()
        self.count += 1
        blob = self.rootfs.staging / f"blob{self.count}"
        blob.write_bytes(data)
        self._place(path, Node(mode=stat.S_IFREG | mode, size=len(data), blob=blob))

    def symlink(self, path: str, target: str) -> None:
        self._place(path, Node(mode=stat.S_IFLNK | 0o777, target=target))

    def glibc_base(self) -> None:
        """A minimal glibc layout: loader and libc, found in the default dirs."""
        self.file("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", make_elf())
        self.symlink("/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
        self.file("/lib/x86_64-linux-gnu/libc.so.6", make_elf(needed=["ld-linux-x86-64.so.2"]), 0o644)

    def etc(self, passwd: str, group: str | None) -> None:
        """The image's /etc/passwd and /etc/group (None: no group file)."""
        self.file("/etc/passwd", passwd, 0o644)
        if group is not None:
            self.file("/etc/group", group, 0o644)


def image_config(**fields) -> dict:
    """An OCI image config JSON with the given `config` fields."""
    return {"architecture": "amd64", "os": "linux", "config": fields}
