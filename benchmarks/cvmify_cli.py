"""The cvmify command the benchmarks run: the checkout's venv if there is one."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cvmify_bin() -> str:
    venv = REPO / ".venv" / "bin" / "cvmify"
    return str(venv) if venv.exists() else "cvmify"
