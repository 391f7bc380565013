"""Files made on the host and copied into build contexts.

- busybox: Debian's busybox-static binary (a static ELF, no interpreter),
  so the image needs nothing else.
- cprogs: small C programs compiled with `gcc -static` (and one with
  `-static-pie`) from tests/images/cprogs/*.c.
Each has an `*_inputs()` function naming what decides its output; those
bytes go into the image's content hash, so we compile only on a miss.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from elftools.elf.elffile import ELFFile

CPROGS_DIR = Path(__file__).resolve().parent / "cprogs"
BUSYBOX_CANDIDATES = ["/bin/busybox", "/usr/bin/busybox"]

# output name -> (source, extra gcc flags)
CPROGS = {
    "hello": ("hello.c", ["-static"]),
    "hello-pie": ("hello.c", ["-static-pie", "-fPIE"]),
    "segv": ("segv.c", ["-static"]),
    "exitcode": ("exitcode.c", ["-static"]),
}
CFLAGS = ["-O2", "-Wall", "-Werror"]


class HostToolError(RuntimeError):
    pass


def is_static_elf(path: Path) -> bool:
    with open(path, "rb") as handle:
        elf = ELFFile(handle)
        return not any(seg["p_type"] == "PT_INTERP" for seg in elf.iter_segments())


def find_static_busybox() -> Path:
    for candidate in BUSYBOX_CANDIDATES:
        path = Path(candidate)
        if path.is_file() and is_static_elf(path):
            return path
    raise HostToolError(
        "no static busybox found (looked at " + ", ".join(BUSYBOX_CANDIDATES) + "); "
        "install Debian's busybox-static (scripts/setup.sh does)"
    )


def busybox_inputs() -> list[bytes]:
    return [find_static_busybox().read_bytes()]


def stage_busybox(context: Path) -> None:
    shutil.copy2(find_static_busybox(), context / "busybox")
    (context / "busybox").chmod(0o755)


def gcc_identity() -> bytes:
    if shutil.which("gcc") is None:
        raise HostToolError("gcc is not installed (scripts/setup.sh installs it)")
    out = subprocess.run(["gcc", "--version"], capture_output=True, check=True).stdout
    return out.splitlines()[0]


def cprogs_inputs() -> list[bytes]:
    recipe = repr(sorted(CPROGS.items())) + repr(CFLAGS)
    return [gcc_identity(), recipe.encode()]


def stage_cprogs(context: Path) -> None:
    """Compile every program into `context`."""
    for output, (source, flags) in CPROGS.items():
        argv = ["gcc", *CFLAGS, *flags, "-o", str(context / output), str(CPROGS_DIR / source)]
        result = subprocess.run(argv, capture_output=True, text=True)
        if result.returncode != 0:
            raise HostToolError(f"{' '.join(argv)} failed:\n{result.stderr}")
        if not is_static_elf(context / output):
            raise HostToolError(f"{output}: expected a static binary, got one with PT_INTERP")
