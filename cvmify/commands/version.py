"""`cvmify version [--json]`: this cvmify, and the kernel it would put in
a bundle (its SHA-384, so a wheel's kernel can be checked against a
reproducible build: scripts/build-wheel.sh)."""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cvmify import __version__, paths
from cvmify.errors import CvmifyError


@dataclass
class VersionResult:
    version: str
    python: str
    kernel: Path | None
    kernel_sha384: str | None
    kernel_error: str | None
    base_manifests: Path
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "python": self.python,
            "kernel": {"path": str(self.kernel) if self.kernel else None, "sha384": self.kernel_sha384,
                       "error": self.kernel_error},
            "base_manifests": str(self.base_manifests),
        }

    def text_lines(self) -> list[str]:
        kernel = f"{self.kernel} (sha384 {self.kernel_sha384})" if self.kernel else f"none: {self.kernel_error}"
        return [f"cvmify {self.version}", f"python: {self.python}", f"kernel: {kernel}",
                f"base manifests: {self.base_manifests}"]


def sha384_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha384").hexdigest()


def version_info() -> VersionResult:
    try:
        kernel: Path | None = paths.kernel_path()
        digest, error = sha384_file(kernel), None
    except (CvmifyError, OSError) as e:
        kernel, digest, error = None, None, str(e)
    return VersionResult(__version__, platform.python_version(), kernel, digest, error, paths.base_manifest_dir())
