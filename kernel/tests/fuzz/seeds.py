#!/usr/bin/env python3
"""Seed corpora for the libFuzzer targets (tests/fuzz/fuzz_*.c), made from
real inputs each time instead of committed blobs:

- config: config.bin files compiled by cvmify itself from a few manifests,
  each followed by an overrides file (the target's first two bytes say
  where config.bin ends);
- cvmfs_parse: the golden disk image's superblock and following bytes;
- cvmfs_image: a few edit lists (the target edits the golden plaintext);
- elf: ELF binaries of this machine (static, dynamic, PIE) behind the
  16 control bytes the target reads first;
- virtqueue, tdx: short byte patterns (these targets read choices).

    python3 tests/fuzz/seeds.py OUTDIR
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path

KERNEL = Path(__file__).resolve().parents[2]
REPO = KERNEL.parent
GOLDEN = REPO / "tests" / "golden" / "small.img"
ELF_CANDIDATES = ["/bin/true", "/bin/ls", "/bin/busybox", "/usr/bin/env",
                  "/lib64/ld-linux-x86-64.so.2"]


def write(directory: Path, name: str, data: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def config_seeds(out: Path) -> None:
    sys.path.insert(0, str(REPO))
    try:
        from cvmify.manifest.bootconfig import compile_boot_config
        from cvmify.manifest.overrides import HostRequest, compile_overrides
    except Exception as exc:  # noqa: BLE001 -- seeds are a convenience
        print(f"seeds: config seeds skipped ({exc})", file=sys.stderr)
        return
    manifests = [
        {"libos": {"entrypoint": "/bin/sh"}, "loader": {"argv": ["/bin/sh", "-c", "true"]}},
        {"libos": {"entrypoint": "/app/run"},
         "loader": {"argv": ["/app/run", "x"], "env": {"HOME": "/root", "TERM": {"passthrough": True}},
                    "insecure__use_cmdline_argv": True, "uid": 1000, "gid": 1000,
                    "rlimits": {"nofile": [1024, 4096]}}},
    ]
    for i, m in enumerate(manifests):
        try:
            blob = compile_boot_config(m, bytes(range(48)))
            over = b""
            if m["loader"].get("insecure__use_cmdline_argv"):
                over = compile_overrides(HostRequest(argv_tail=["--flag"], env={"TERM": "xterm"}), m)
        except Exception as exc:  # noqa: BLE001
            print(f"seeds: manifest {i} skipped ({exc})", file=sys.stderr)
            continue
        write(out / "config", f"m{i}", struct.pack("<H", len(blob)) + blob + over)


def cvmfs_seeds(out: Path) -> None:
    if not GOLDEN.is_file():
        return
    img = GOLDEN.read_bytes()
    size = struct.pack("<Q", len(img))
    write(out / "cvmfs_parse", "golden-sb", img[:128] + size + img[128:4096])
    write(out / "cvmfs_image", "none", b"")
    write(out / "cvmfs_image", "one-edit", bytes([0x10, 0x02, 0x41]))


def elf_seeds(out: Path) -> None:
    control = struct.pack("<QQ", 0x400000, 0x7f0000000000)
    for path in ELF_CANDIDATES:
        p = Path(path)
        if p.is_file() and p.stat().st_size < 4 << 20:
            data = p.read_bytes()
            write(out / "elf", p.name, control + data)
            write(out / "elf", p.name + "-head", control + data[:4096])


def choice_seeds(out: Path) -> None:
    for name in ("virtqueue", "tdx"):
        write(out / name, "zeros", bytes(64))
        write(out / name, "ramp", bytes(range(256)))
        write(out / name, "ones", b"\xff" * 64)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = Path(argv[1])
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    config_seeds(out)
    cvmfs_seeds(out)
    elf_seeds(out)
    choice_seeds(out)
    for name in os.listdir(out):
        print(f"seeds: {name}: {len(list((out / name).iterdir()))} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
