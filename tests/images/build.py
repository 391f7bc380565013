"""Build (or reuse) the test images and the examples in the docker daemon.

Every image has a recipe in RECIPES. `ensure(name)` builds its parent
first, computes the recipe's content hash (tests/images/cache.py) and
builds only when no image carries that hash yet. Each image ends up with
two tags: `REPO:h-<hash>` (exact) and `REPO:latest` (moved to the newest).

CLI (from the repository root):
    python -m tests.images.build all            # every image and example
    python -m tests.images.build busybox cprogs # just these (and parents)
    python -m tests.images.build --list
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker

from tests.compat import images as compat_images
from tests.images import archive, cache, daemon, debian, hostfiles, layers, tarlayer
from tests.images.recipe import Recipe, source_of

log = logging.getLogger("tests.images")

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
EXAMPLES = REPO_ROOT / "examples"


RECIPES: dict[str, Recipe] = {r.name: r for r in [
    Recipe("busybox", "cvmify-test/busybox", "dockerfile", HERE / "busybox",
           inputs=hostfiles.busybox_inputs, stage=hostfiles.stage_busybox),
    Recipe("debian", "cvmify-test/debian", "debootstrap",
           inputs=lambda: [debian.RECIPE, repr(debian.CHANGES).encode()]),
    Recipe("python3", "cvmify-test/python3", "dockerfile", HERE / "python3", parent="debian"),
    Recipe("jq", "cvmify-test/jq", "dockerfile", HERE / "jq", parent="debian"),
    Recipe("layers", "cvmify-test/layers", "layers", parent="busybox",
           inputs=source_of(layers, archive, tarlayer)),
    Recipe("nonroot", "cvmify-test/nonroot", "dockerfile", HERE / "nonroot", parent="busybox"),
    Recipe("postgres", "cvmify-test/postgres", "dockerfile", HERE / "postgres", parent="debian"),
    Recipe("script", "cvmify-test/script", "dockerfile", HERE / "script", parent="busybox"),
    Recipe("cprogs", "cvmify-test/cprogs", "dockerfile", HERE / "cprogs",
           inputs=hostfiles.cprogs_inputs, stage=hostfiles.stage_cprogs),
    Recipe("netservers", "cvmify-test/netservers", "dockerfile", HERE / "netservers",
           parent="python3"),
    Recipe("runtimes", "cvmify-test/runtimes", "dockerfile", HERE / "runtimes", parent="python3"),
    Recipe("hello", "cvmify-example/hello", "dockerfile", EXAMPLES / "hello",
           parent="busybox", example=True),
    Recipe("python-app", "cvmify-example/python-app", "dockerfile", EXAMPLES / "python-app",
           parent="python3", example=True),
]}
# The compatibility suite's shared bases and thin per-case images (tests/compat/).
RECIPES.update({r.name: r for r in compat_images.recipes()})


@dataclass
class BuildResult:
    name: str
    tag: str  # the exact tag, REPO:h-<hash>
    image_id: str
    built: bool  # False when the cached image was reused
    seconds: float


def content_hash(name: str) -> str:
    recipe = RECIPES[name]
    parents = [content_hash(recipe.parent)] if recipe.parent else []
    return cache.recipe_hash(name, recipe.context, recipe.inputs(), parents)


def client_from_env() -> docker.DockerClient:
    return docker.from_env(timeout=1800)


def ensure(name: str, client: docker.DockerClient | None = None, force: bool = False) -> BuildResult:
    """Make sure image `name` (and its parents) exist; returns its exact tag."""
    if name not in RECIPES:
        raise KeyError(f"unknown test image {name!r}; known: {', '.join(RECIPES)}")
    client = client or client_from_env()
    recipe = RECIPES[name]
    parent_tag = ensure(recipe.parent, client).tag if recipe.parent else None
    content = content_hash(name)
    tag = cache.hash_tag(recipe.repo, content)
    start = time.monotonic()
    with cache.build_lock(name):
        image = None if force else daemon.find_image(client, tag)
        built = image is None
        if built:
            log.info("building %s (%s)", name, tag)
            image_id = build_one(client, recipe, tag, content, parent_tag)
        else:
            image_id = image.id
        daemon.point_tag(client, image_id, f"{recipe.repo}:latest")
    seconds = time.monotonic() - start
    log.info("%s: %s %s in %.1fs", name, tag, "built" if built else "cached", seconds)
    return BuildResult(name, tag, image_id, built, seconds)


def build_image(name: str, force: bool = False) -> str:
    """The exact tag of image `name`, building it if needed."""
    return ensure(name, force=force).tag


def build_one(client: docker.DockerClient, recipe: Recipe, tag: str, content: str,
              parent_tag: str | None) -> str:
    with tempfile.TemporaryDirectory(prefix=f"cvmify-image-{recipe.name}-") as tmp:
        work = Path(tmp)
        if recipe.kind == "dockerfile":
            context = stage_context(recipe, work / "context")
            buildargs = {"BASE": parent_tag} if parent_tag else {}
            return daemon.build_context(client, context, tag, buildargs, content)
        if recipe.kind == "debootstrap":
            tarball = debian.make_rootfs_tarball(work)
            changes = [*debian.CHANGES, f"LABEL {cache.HASH_LABEL}={content}"]
            return daemon.import_rootfs(client, tarball, tag, changes)
        if recipe.kind == "layers":
            assert parent_tag is not None
            saved, out = work / "parent.tar", work / "image.tar"
            daemon.save_image(client, parent_tag, saved)
            archive.extend_saved_image(saved, layers.build_layers(), tag,
                                       {cache.HASH_LABEL: content}, out)
            return daemon.load_archive(client, out, tag)
    raise ValueError(f"{recipe.name}: unknown recipe kind {recipe.kind!r}")


def stage_context(recipe: Recipe, context: Path) -> Path:
    """Copy the recipe's directory with normalized modes (0755 for
    executables and scripts, 0644 otherwise; a checkout that lost the
    executable bit still builds a working image), then add host-made files."""
    assert recipe.context is not None
    shutil.copytree(recipe.context, context, symlinks=True)
    for path in [context, *context.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        else:
            path.chmod(0o755 if cache.is_executable(path) or is_script(path) else 0o644)
    if recipe.stage is not None:
        recipe.stage(context)
    return context


def is_script(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"#!"


def select(names: list[str]) -> list[str]:
    if not names or names == ["all"]:
        return [n for n, r in RECIPES.items() if not r.benchmark]
    if names == ["tests"]:
        return [n for n, r in RECIPES.items() if not r.example]
    if names == ["examples"]:
        return [n for n, r in RECIPES.items() if r.example]
    if names == ["compat"]:
        return [n for n, r in RECIPES.items()
                if n.startswith(compat_images.PREFIX) and not r.benchmark]
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        raise SystemExit(f"unknown image(s): {', '.join(unknown)}; try --list")
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build or reuse cvmify test images.")
    parser.add_argument("names", nargs="*", help="image names, or all / tests / examples")
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    parser.add_argument("--list", action="store_true", help="list the images and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="show build output")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(message)s")
    if args.list:
        for name, recipe in RECIPES.items():
            print(f"{name:12} {recipe.repo}:latest  parent={recipe.parent or '-'}")
        return 0
    client = client_from_env()
    for name in select(args.names):
        try:
            result = ensure(name, client, force=args.force)
        except Exception as exc:  # a CLI: report which image failed and why
            print(f"{name}: FAILED: {exc}", file=sys.stderr)
            return 1
        state = "built" if result.built else "cached"
        print(f"{name:12} {result.tag:48} {state:6} {result.seconds:7.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
