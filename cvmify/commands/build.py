"""`cvmify build IMAGE -o BUNDLE`: image -> manifest -> disk -> config -> measurements -> bundle.

The stages run in order; the bundle is assembled in a temporary sibling
directory (cvmify/bundle.py) and only renamed into place after the last
stage succeeded, so any failure leaves nothing at BUNDLE.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from cvmify.bundle import BLOCK_SIZE, BundleWriter, DiskSummary, ImageInfo
from cvmify.commands.keys import DEV_KEY_WARNING, load_key_file, new_key
from cvmify.errors import UsageError
from cvmify.image.rootfs import RootFS
from cvmify.result import dumps

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    bundle: Path
    image: ImageInfo
    entrypoint: str
    argv: list[str]
    files: int  # names in the root filesystem
    size: int  # bytes of regular-file content (hard links counted once)
    disk_root: bytes
    disk_blocks: int
    rtmr: bytes
    created: int
    key_file: Path | None  # disk-key.dev, or --key-out with --no-dev-key, or None
    mrtd: bytes | None = None  # with td.fd
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": str(self.bundle),
            "image": self.image.to_json(),
            "entrypoint": self.entrypoint,
            "argv": self.argv,
            "files": self.files,
            "size": self.size,
            "disk": {"root": self.disk_root.hex(), "block_count": self.disk_blocks},
            "rtmr": self.rtmr.hex(),
            "mrtd": self.mrtd.hex() if self.mrtd is not None else None,
            "created": self.created,
            "key_file": str(self.key_file) if self.key_file is not None else None,
        }

    def text_lines(self) -> list[str]:
        return [
            f"bundle:     {self.bundle}",
            f"image:      {self.image.reference} ({self.image.platform})",
            f"digest:     {self.image.config_digest}",
            f"entrypoint: {self.entrypoint}  argv: {' '.join(self.argv)}",
            f"files:      {self.files} entries, {self.size} bytes",
            f"disk root:  {self.disk_root.hex()} ({self.disk_blocks} blocks)",
            f"rtmr:       {self.rtmr.hex()}",
        ] + ([f"mrtd:       {self.mrtd.hex()}"] if self.mrtd is not None else [])


def source_date_epoch(environ: Mapping[str, str]) -> int | None:
    """SOURCE_DATE_EPOCH as an int, None if unset; UsageError if malformed."""
    text = environ.get("SOURCE_DATE_EPOCH")
    if text is None or text == "":
        return None
    if not text.isdigit() or len(text) > 12:
        raise UsageError(f"SOURCE_DATE_EPOCH={text!r}: expected a non-negative integer")
    return int(text)


def clamp_mtimes(rootfs: RootFS, epoch: int) -> None:
    """No file in a reproducible build is newer than SOURCE_DATE_EPOCH."""
    for _, node in rootfs.iter_nodes():
        node.mtime = min(node.mtime, epoch)


def count_files(rootfs: RootFS) -> tuple[int, int]:
    """(entries, content bytes); a hard-linked file's bytes count once."""
    entries, size, seen = 0, 0, set()
    for _, node in rootfs.iter_nodes():
        entries += 1
        if node.is_file and id(node) not in seen:
            seen.add(id(node))
            size += node.size
    return entries, size


def check_key_options(dev_key: bool, key_file: Path | None, key_out: Path | None, td_kernel: Path | None) -> None:
    """--no-dev-key makes a bundle only a TD can run (docs/tdx.md): its key
    must end up somewhere the broker can be given it."""
    if dev_key:
        if key_out is not None:
            raise UsageError("--key-out is for --no-dev-key")
        return
    if td_kernel is None:
        raise UsageError("--no-dev-key needs td.fd: a bundle without a development key runs only as a TD")
    if key_file is None and key_out is None:
        raise UsageError("--no-dev-key: give --key-out FILE (or --key) so that the key broker can be given the key")
    if key_out is not None and (key_out.exists() or not key_out.parent.is_dir()):
        raise UsageError(f"--key-out {key_out}: must be a new file in an existing directory")


def write_key_out(path: Path | None, key: bytes) -> Path | None:
    """The disk key as 64 hex digits, 0600, for `cvmify kbs serve --key`."""
    if path is None:
        return None
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex() + "\n")
    return path


def write_td_fd(bundle: BundleWriter, td_kernel: Any, config_bin: bytes, disk_root: bytes) -> Any:
    """td.fd into the bundle; returns its TdxMeasurements."""
    from cvmify.tdx.measurements import compute_tdx_measurements
    from cvmify.tdx.tdvf import TD_FD_NAME, build_td_fd, parse_td_fd

    image = build_td_fd(td_kernel, config_bin)
    bundle.write_bytes(TD_FD_NAME, image)
    return compute_tdx_measurements(parse_td_fd(image), config_bin, disk_root)


def build(
    reference: str,
    out: Path,
    kernel: Path,
    manifest_file: Path | None = None,
    key_file: Path | None = None,
    force: bool = False,
    epoch: int | None = None,
    td_kernel: Path | None = None,
    dev_key: bool = True,
    key_out: Path | None = None,
) -> BuildResult:
    """Build a bundle at `out`. `kernel` is an existing kernel ELF (paths.kernel_path);
    with `td_kernel` (the PLATFORM=tdx kernel) the bundle also gets td.fd."""
    from cvmify.disk.writer import write_disk
    from cvmify.image.source import open_image
    from cvmify.image.unpack import unpack
    from cvmify.manifest import build_manifest
    from cvmify.manifest.bootconfig import compile_boot_config, parse_boot_config
    from cvmify.manifest.load import load_manifest_file
    from cvmify.manifest.render import render_toml
    from cvmify.measure.measurements import compute_measurements
    from cvmify.tdx.tdvf import load_td_kernel

    check_key_options(dev_key, key_file, key_out, td_kernel)
    key = load_key_file(key_file) if key_file is not None else new_key()
    td = load_td_kernel(td_kernel) if td_kernel is not None else None
    user_manifest = load_manifest_file(manifest_file) if manifest_file is not None else None
    created = epoch if epoch is not None else int(time.time())
    with BundleWriter(out, force=force) as bundle, tempfile.TemporaryDirectory(prefix="cvmify-build-") as work:
        workdir = Path(work)
        log.info("opening %s", reference)
        with open_image(reference, workdir / "image") as image:
            rootfs = unpack(image, workdir / "rootfs")
            info = ImageInfo(image.reference, image.config_digest, image.manifest_digest, image.platform)
            config = image.config
        manifest = build_manifest(config, rootfs, user_manifest)
        if epoch is not None:
            clamp_mtimes(rootfs, epoch)
        log.info("writing the encrypted disk image")
        disk = write_disk(rootfs, bundle.path("rootfs.img"), key)
        config_bin = compile_boot_config(manifest, disk.root)
        bundle.write_bytes("config.bin", config_bin)
        bundle.write_bytes("manifest.toml", render_toml(manifest).encode())
        bundle.copy_file("kernel.elf", kernel)
        measurements = compute_measurements(bundle.path("kernel.elf"), config_bin, disk.root)
        if td is not None:
            measurements = measurements.with_tdx(write_td_fd(bundle, td, config_bin, disk.root))
        bundle.write_bytes("measurements.json", dumps(measurements.to_json()).encode())
        if dev_key:
            bundle.write_key(key)
        bundle.commit(created, info, DiskSummary(BLOCK_SIZE, disk.block_count, disk.root), dev_key=dev_key)
        files, size = count_files(rootfs)
    boot = parse_boot_config(config_bin)
    return BuildResult(
        bundle=out,
        image=info,
        entrypoint=boot.entrypoint,
        argv=boot.argv,
        files=files,
        size=size,
        disk_root=disk.root,
        disk_blocks=disk.block_count,
        rtmr=measurements.rtmr,
        mrtd=measurements.tdx.mrtd if measurements.tdx is not None else None,
        created=created,
        key_file=out / "disk-key.dev" if dev_key else write_key_out(key_out, key),
        warnings=[DEV_KEY_WARNING] if dev_key else [],
    )
