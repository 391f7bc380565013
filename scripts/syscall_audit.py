#!/usr/bin/env python3
"""Which Linux syscalls can these binaries make that the kernel lacks?

    scripts/syscall_audit.py /lib/x86_64-linux-gnu/libc.so.6 /usr/bin/busybox ...

Disassembles each ELF file with objdump and collects the syscall numbers
it loads right before a `syscall` instruction (`mov $N,%eax`) or passes
to libc's generic `syscall()` (`mov $N,%edi` before `call syscall`).
That is what the binary *can* call, a superset of what one run does.
The numbers are compared with kernel/syscalls/table.c: a table entry
whose handler is NULL, or a number the table does not have, is missing.
Prints one line per missing number: `<nr> <name> <binaries>`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

TABLE = Path(__file__).resolve().parent.parent / "kernel" / "syscalls" / "table.c"
# Names of numbers the table lacks, from the Linux UAPI headers (linux-libc-dev).
UNISTD = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")
ENTRY = re.compile(r'\[(\d+)\] = \{"(\w+)", (\w+)\}')
# An instruction line of objdump -d: address, bytes, mnemonic, operands.
INSN = re.compile(r"^\s*[0-9a-f]+:\s+(?:[0-9a-f]{2} )+\s*(\S+)\s*(.*)$")
MOV_EAX = re.compile(r"^\$0x([0-9a-f]+),%(?:e|r)ax$")
MOV_EDI = re.compile(r"^\$0x([0-9a-f]+),%(?:e|r)di$")
LOOKBACK = 6  # instructions between the mov and the syscall


def table() -> dict[int, tuple[str, bool]]:
    """Number -> (name, implemented) from table.c."""
    out = {}
    for nr, name, handler in ENTRY.findall(TABLE.read_text()):
        out[int(nr)] = (name, handler != "NULL")
    return out


def uapi_names() -> dict[int, str]:
    if not UNISTD.is_file():
        return {}
    found = re.findall(r"#define __NR_(\w+) (\d+)", UNISTD.read_text())
    return {int(nr): name for name, nr in found}


def syscall_numbers(binary: Path) -> set[int]:
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(binary)],
                         capture_output=True, text=True, check=True).stdout
    numbers: set[int] = set()
    recent: list[tuple[str, str]] = []
    for line in dis.splitlines():
        m = re.match(r"^\s*[0-9a-f]+:\s+(\S+)\s*(.*)$", line)
        if not m:
            recent.clear()  # a new function or section
            continue
        op, args = m.group(1), m.group(2).split("#")[0].strip()
        if op == "syscall":
            for mnem, a in reversed(recent):
                mm = MOV_EAX.match(a) if mnem == "mov" else None
                if mm:
                    numbers.add(int(mm.group(1), 16))
                    break
        elif op == "call" and re.search(r"<syscall(@plt)?>", args):
            for mnem, a in reversed(recent):
                mm = MOV_EDI.match(a) if mnem == "mov" else None
                if mm:
                    numbers.add(int(mm.group(1), 16))
                    break
        recent.append((op, args))
        del recent[:-LOOKBACK]
    return {n for n in numbers if n < 1024}


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    known = table()
    names = uapi_names()
    users: dict[int, list[str]] = defaultdict(list)
    for arg in argv[1:]:
        for nr in syscall_numbers(Path(arg)):
            users[nr].append(Path(arg).name)
    for nr in sorted(users):
        name, implemented = known.get(nr, (names.get(nr, f"unknown-{nr}"), False))
        if not implemented:
            print(f"{nr} {name} {' '.join(sorted(set(users[nr])))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
