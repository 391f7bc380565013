"""`cvmify inspect BUNDLE [--verify]`: summary, file listing, integrity check.

--verify checks everything the bundle claims, in this order: each file's
sha256 against bundle.json; the disk (every block's tag and the whole
tree) against bundle.json's root, with the development key; the disk root
recorded in config.bin; and the measurements, recomputed from the files
and compared with measurements.json. Any mismatch is an IntegrityError.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cvmify.bundle import Bundle, BundleIndex, load_bundle
from cvmify.commands.measure import compare_recorded, recompute
from cvmify.errors import IntegrityError


@dataclass
class InspectResult:
    bundle: Path
    index: BundleIndex
    entrypoint: str
    argv: list[str]
    entries: list[Any]  # cvmify.disk.reader.DiskEntry
    verified: bool
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": str(self.bundle),
            "index": self.index.to_json(),
            "entrypoint": self.entrypoint,
            "argv": self.argv,
            "verified": self.verified,
            "entries": [
                {"path": e.path, "mode": e.mode, "uid": e.uid, "gid": e.gid, "size": e.size,
                 "mtime": e.mtime, "target": e.target}
                for e in self.entries
            ],
        }

    def text_lines(self) -> list[str]:
        idx = self.index
        lines = [
            f"bundle:     {self.bundle} ({idx.format}, cvmify {idx.cvmify_version})",
            f"image:      {idx.image.reference} ({idx.image.platform})",
            f"digest:     {idx.image.config_digest}",
            f"entrypoint: {self.entrypoint}  argv: {' '.join(self.argv)}",
            f"disk root:  {idx.disk.root.hex()} ({idx.disk.block_count} blocks)",
        ]
        if self.verified:
            lines.append("verify:     OK (files, disk, config, measurements)")
        lines.append(f"files ({len(self.entries)}):")
        for e in self.entries:
            link = f" -> {e.target}" if e.target is not None else ""
            lines.append(f"  {stat.filemode(e.mode)} {e.uid:>5} {e.gid:>5} {e.size:>10} {e.path}{link}")
        return lines


def verify_problems(bundle: Bundle, boot_root: bytes) -> list[str]:
    """Everything that does not match; the disk itself is checked by the reader."""
    from cvmify.disk.reader import DiskReader

    problems = bundle.hash_problems()
    if boot_root != bundle.index.disk.root:
        problems.append("config.bin: its disk root differs from bundle.json's")
    if problems:  # do not decrypt a disk whose files are already known bad
        return problems
    key = bundle.read_key() if bundle.index.dev_key else None
    with DiskReader(bundle.file("rootfs.img"), key, bundle.index.disk.root) as reader:
        if key is not None:  # without the key only the root (tag table) is checked
            reader.verify()
    return compare_recorded(bundle, recompute(bundle))


def inspect_bundle(path: Path, verify: bool = False) -> InspectResult:
    from cvmify.disk.reader import DiskReader
    from cvmify.manifest.bootconfig import parse_boot_config

    bundle = load_bundle(path)
    boot = parse_boot_config(bundle.file("config.bin").read_bytes())
    if verify:
        problems = verify_problems(bundle, boot.disk_root)
        if problems:
            raise IntegrityError(f"{path}: verification failed: " + "; ".join(problems))
    warnings = []
    if bundle.index.dev_key:
        with DiskReader(bundle.file("rootfs.img"), bundle.read_key(), bundle.index.disk.root) as reader:
            entries = list(reader.walk())
    else:
        entries = []
        warnings.append("no development key: the disk's files cannot be listed or decrypted here "
                        "(the key broker holds the key); checked: hashes, disk root, measurements")
    return InspectResult(
        bundle=path,
        index=bundle.index,
        entrypoint=boot.entrypoint,
        argv=boot.argv,
        entries=entries,
        verified=verify,
        warnings=warnings,
    )
