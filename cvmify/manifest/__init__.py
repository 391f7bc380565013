"""Manifest inference, merging, validation and the boot config.

build_manifest is the pipeline's entry point:

    inferred (image config + rootfs)
      < base-manifests/ (generic, libc flavour, language)
      < the user's --manifest
    -> validated final manifest
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """Load the inference pipeline only when it is used: `cvmify run` needs
    cvmify.manifest.bootconfig alone and should not pay for pyelftools."""
    if name == "build_manifest":
        from cvmify.manifest.pipeline import build_manifest

        return build_manifest
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["build_manifest"]
