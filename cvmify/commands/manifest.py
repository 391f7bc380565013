"""`cvmify manifest IMAGE`: the final manifest as TOML; nothing is built."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ManifestResult:
    reference: str
    manifest: dict[str, Any]
    toml: str
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"reference": self.reference, "manifest": self.manifest, "toml": self.toml}

    def text_lines(self) -> list[str]:
        return self.toml.rstrip("\n").split("\n")


def show_manifest(reference: str, manifest_file: Path | None = None) -> ManifestResult:
    from cvmify.image.source import open_image
    from cvmify.image.unpack import unpack
    from cvmify.manifest import build_manifest
    from cvmify.manifest.load import load_manifest_file
    from cvmify.manifest.render import render_toml

    user_manifest = load_manifest_file(manifest_file) if manifest_file is not None else None
    with tempfile.TemporaryDirectory(prefix="cvmify-manifest-") as work:
        workdir = Path(work)
        with open_image(reference, workdir / "image") as image:
            rootfs = unpack(image, workdir / "rootfs")
            config, normalized = image.config, image.reference
        manifest = build_manifest(config, rootfs, user_manifest)
    return ManifestResult(reference=normalized, manifest=manifest, toml=render_toml(manifest))
