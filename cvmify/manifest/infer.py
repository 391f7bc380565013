"""Infer a manifest from the image config JSON and the unpacked rootfs.

Only facts from the image go in here; defaults such as memory size come
from base-manifests/ (see base.py), and the user's --manifest wins over
both (see __init__.build_manifest).
"""

from __future__ import annotations

import logging
import posixpath
from typing import Any

from cvmify.errors import InvalidManifestError, MissingLibraryError
from cvmify.image.rootfs import RootFS
from cvmify.manifest.paths import DEFAULT_PATH, find_program
from cvmify.manifest.program import ProgramInfo, analyze_program
from cvmify.manifest.signals import normalize_signal
from cvmify.manifest.users import resolve_user

log = logging.getLogger(__name__)

NO_COMMAND = "image has no Entrypoint or Cmd; give one with --manifest"


def infer_manifest(config: dict, rootfs: RootFS) -> dict:
    """The full inferred manifest: settings plus the analysed program."""
    manifest = infer_settings(config, rootfs)
    argv = manifest["loader"].get("argv")
    if not argv:
        raise InvalidManifestError(NO_COMMAND)
    entrypoint = resolve_entrypoint(rootfs, argv[0], manifest)
    apply_program(manifest, analyze_for(rootfs, entrypoint, manifest))
    return manifest


def image_config(config: dict) -> dict:
    """The `config` object of an OCI/docker image config; also accepts the
    inner object itself (as `docker inspect` shows it)."""
    inner = config.get("config")
    if isinstance(inner, dict):
        return inner
    if inner is None and ("Entrypoint" in config or "Cmd" in config or "Env" in config):
        return config
    return inner or {}


def infer_settings(config: dict, rootfs: RootFS) -> dict:
    """Everything except the program analysis; argv may be absent."""
    cfg = image_config(config)
    env = parse_env(_string_list(cfg.get("Env"), "Env"))
    user_spec = cfg.get("User") or ""
    user = resolve_user(str(user_spec), rootfs)
    # what docker adds when the image does not set them
    env.setdefault("PATH", DEFAULT_PATH)
    env.setdefault("HOME", user.home)
    loader: dict[str, Any] = {
        "env": env,
        "insecure__use_cmdline_argv": False,
        "uid": user.uid,
        "gid": user.gid,
        "groups": user.groups,
    }
    argv = _string_list(cfg.get("Entrypoint"), "Entrypoint") + _string_list(cfg.get("Cmd"), "Cmd")
    if argv:
        loader["argv"] = argv
    if user_spec:
        loader["user"] = str(user_spec)
    manifest: dict[str, Any] = {
        "loader": loader,
        "fs": {"start_dir": _start_dir(cfg.get("WorkingDir")), "mounts": volume_mounts(cfg.get("Volumes")),
               "host_volumes": host_volumes(cfg.get("Volumes"))},
        "image": {},
    }
    ports = sorted((cfg.get("ExposedPorts") or {}).keys())
    if ports:
        manifest["image"]["exposed_ports"] = ports
    if cfg.get("StopSignal"):
        manifest["image"]["stop_signal"] = _stop_signal(str(cfg["StopSignal"]))
    return manifest


def parse_env(entries: list[str]) -> dict[str, str]:
    """["K=V", ...] -> {"K": "V"}; later entries win, like execve users expect."""
    env: dict[str, str] = {}
    for entry in entries:
        name, sep, value = entry.partition("=")
        if not sep or not name:
            log.warning("ignoring image Env entry %r: not NAME=VALUE", entry)
            continue
        env[name] = value
    return env


def volume_mounts(volumes: Any) -> list[dict]:
    """/tmp is always a tmpfs; each image Volume becomes one too."""
    mounts = [{"type": "tmpfs", "path": "/tmp"}]
    for path in sorted((volumes or {}).keys()):
        clean = posixpath.normpath(path) if path.startswith("/") else path
        if clean == "/tmp":
            continue
        log.warning("volume %s becomes a tmpfs unless `cvmify run -v NAME:%s` names a persistent "
                    "volume: its data does not persist", clean, clean)
        mounts.append({"type": "tmpfs", "path": clean, "origin": "volume"})
    return mounts


def host_volumes(volumes: Any) -> list[str]:
    """Where the host may attach persistent volumes: the image's Volumes."""
    paths = {posixpath.normpath(p) for p in (volumes or {}) if p.startswith("/")}
    return sorted(p for p in paths if p not in ("/", "/tmp"))


def resolve_entrypoint(rootfs: RootFS, argv0: str, manifest: dict) -> str:
    """argv[0] -> canonical absolute path, the way execvp would find it."""
    search_path = env_value(manifest, "PATH") or DEFAULT_PATH
    cwd = manifest["fs"]["start_dir"]
    found = find_program(rootfs, argv0, search_path, cwd)
    if found is None:
        where = "" if "/" in argv0 else f" on PATH ({search_path})"
        raise MissingLibraryError(f"entrypoint {argv0} not found as an executable file{where} in the image")
    return found


def analyze_for(rootfs: RootFS, entrypoint: str, manifest: dict) -> ProgramInfo:
    return analyze_program(
        rootfs,
        entrypoint,
        search_path=env_value(manifest, "PATH") or DEFAULT_PATH,
        cwd=manifest["fs"]["start_dir"],
        ld_library_path=env_value(manifest, "LD_LIBRARY_PATH") or "",
    )


def apply_program(manifest: dict, info: ProgramInfo) -> None:
    """Record the analysed program: libos.entrypoint and the image.* facts."""
    manifest.setdefault("libos", {})["entrypoint"] = info.entrypoint
    image = manifest.setdefault("image", {})
    image["kind"] = info.kind
    image["program"] = info.program
    image["chain"] = info.chain
    image["libraries"] = info.libraries
    if info.interpreter is not None:
        image["interpreter"] = info.interpreter
    else:
        image.pop("interpreter", None)


def env_value(manifest: dict, name: str) -> str | None:
    """The value an env key will have in the guest (string or {value=...})."""
    value = manifest.get("loader", {}).get("env", {}).get(name)
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, str) else None


def _stop_signal(text: str) -> str:
    try:
        return normalize_signal(text)
    except InvalidManifestError:
        log.warning("image StopSignal %r is not a signal cvmify knows; recorded as is", text)
        return text


def _start_dir(working_dir: Any) -> str:
    if not working_dir:
        return "/"
    text = str(working_dir)
    if not text.startswith("/"):
        raise InvalidManifestError(f"image WorkingDir {text!r} is not absolute")
    return posixpath.normpath(text)


def _string_list(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):  # some tools write a shell-form string
        return ["/bin/sh", "-c", value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidManifestError(f"image {what} is not a list of strings")
    return list(value)
