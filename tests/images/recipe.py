"""What a test image is made from: one `Recipe` per image.

Kept apart from build.py so that other recipe lists (tests/compat/) can
describe their images without importing the builder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Recipe:
    name: str
    repo: str  # image repository, e.g. cvmify-test/busybox
    kind: str  # "dockerfile" | "debootstrap" | "layers"
    context: Path | None = None  # dockerfile: directory with the Dockerfile
    parent: str | None = None  # recipe whose image is passed as build arg BASE
    inputs: Callable[[], list[bytes]] = field(default=lambda: [])
    stage: Callable[[Path], None] | None = None  # adds host-made files to the context
    example: bool = False
    benchmark: bool = False  # only for benchmarks/: built when named, not by `all`


def source_of(*modules) -> Callable[[], list[bytes]]:
    """Inputs for images whose content is written by our own code."""
    return lambda: [Path(m.__file__).read_bytes() for m in modules]
