"""`cvmify run -e` and `--env-file`, read as docker reads them.

- `-e NAME=VALUE` sets NAME; `-e NAME` passes our own NAME through if we
  have it, and sets nothing if we do not.
- `--env-file FILE`: one `NAME=VALUE` or `NAME` per line, read the same
  way; blank lines and lines starting with `#` are skipped; values are
  taken as they are (no quotes removed, no expansion).
- Files are read first, in order, then `-e`: later settings win.

Whether the app may get a variable at all is the manifest's decision
(cvmify/manifest/overrides.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

from cvmify.errors import CvmifyIOError, UsageError

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _add(env: dict[str, str], item: str, where: str, environ: Mapping[str, str]) -> None:
    name, sep, value = item.partition("=")
    if not _ENV_NAME.match(name):
        raise UsageError(f"{where} {item!r}: expected NAME=VALUE or NAME")
    if sep:
        env[name] = value
    elif name in environ:
        env[name] = environ[name]


def collect_env(items: list[str], files: list[Path], environ: Mapping[str, str]) -> dict[str, str]:
    """The variables asked for with --env-file and -e, in docker's order."""
    env: dict[str, str] = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UsageError(f"--env-file {path}: no such file") from None
        except (OSError, UnicodeDecodeError) as e:
            raise CvmifyIOError(f"--env-file {path}: cannot read it: {e}") from None
        for number, line in enumerate(text.splitlines(), 1):
            line = line.lstrip()
            if line and not line.startswith("#"):
                _add(env, line, f"--env-file {path}:{number}:", environ)
    for item in items:
        _add(env, item, "-e", environ)
    return env
