"""build_manifest: inferred < base-manifests/ < the user's --manifest, validated."""

from __future__ import annotations

import logging

from cvmify.errors import InvalidManifestError
from cvmify.image.rootfs import RootFS
from cvmify.manifest.base import load_fragment, select_fragments
from cvmify.manifest.infer import NO_COMMAND, analyze_for, apply_program, infer_settings, resolve_entrypoint
from cvmify.manifest.merge import merge_all, merge_manifests
from cvmify.manifest.schema import validate_fragment, validate_manifest
from cvmify.manifest.users import resolve_user

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
    resolve_allowed_users(final, rootfs)
    validate_manifest(final)
    return final


def resolve_allowed_users(manifest: dict, rootfs: RootFS) -> None:
    """loader.allowed_users as written ("app", "1000:1000") -> tables with
    the ids from the image's /etc/passwd and /etc/group, so that the
    config records them and `cvmify run -u` can match names."""
    entries = manifest.get("loader", {}).get("allowed_users")
    if not entries:
        return
    resolved = []
    for i, entry in enumerate(entries):
        if isinstance(entry, dict):
            resolved.append(entry)
            continue
        try:
            user = resolve_user(entry, rootfs)
        except InvalidManifestError as e:
            raise InvalidManifestError(f"loader.allowed_users[{i}]: {e.message}") from None
        name = entry.partition(":")[0]
        table = {"uid": user.uid, "gid": user.gid, "groups": user.groups}
        if not name.isdigit():
            table["user"] = name
        resolved.append(table)
    manifest["loader"]["allowed_users"] = resolved

