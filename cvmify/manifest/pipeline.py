"""build_manifest: inferred < base-manifests/ < the user's --manifest, validated."""

from __future__ import annotations

import logging

from cvmify.errors import InvalidManifestError
from cvmify.image.rootfs import RootFS
from cvmify.manifest.base import load_fragment, select_fragments
from cvmify.manifest.infer import NO_COMMAND, analyze_for, apply_program, infer_settings, resolve_entrypoint
from cvmify.manifest.merge import merge_all, merge_manifests
from cvmify.manifest.schema import validate_fragment, validate_manifest

log = logging.getLogger(__name__)


def build_manifest(config: dict, rootfs: RootFS, user_manifest: dict | None = None) -> dict:
    """The final manifest for an image. The program that will run is taken
    from the user's manifest when it names one (loader.argv,
    libos.entrypoint, loader.env.PATH, fs.start_dir all count), so its
    libraries are checked against what will really be executed."""
    user = user_manifest or {}
    validate_fragment(user, "--manifest")
    inferred = infer_settings(config, rootfs)
    effective = merge_manifests(inferred, user)
    argv = effective["loader"].get("argv")
    if not argv:
        raise InvalidManifestError(NO_COMMAND)
    entrypoint = effective.get("libos", {}).get("entrypoint") or resolve_entrypoint(rootfs, argv[0], effective)
    apply_program(inferred, analyze_for(rootfs, entrypoint, effective))
    names = select_fragments(merge_manifests(inferred, user))
    log.info("base manifests: %s", ", ".join(names))
    final = merge_all([inferred, *(load_fragment(name) for name in names), user])
    validate_manifest(final)
    return final

