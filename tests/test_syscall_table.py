"""The kernel's syscall table against its documentation and Linux's
numbering, without booting anything:

- syscalls/names.c names every number as this machine's
  <asm/unistd_64.h> does (the names `--trace` prints);
- docs/syscalls.md's "Missing" table lists exactly the numbers that
  table.c gives no handler (a NULL entry or none at all), each once and
  under its Linux name, so the one list of what is missing stays true.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TABLE_C = ROOT / "kernel" / "syscalls" / "table.c"
NAMES_C = ROOT / "kernel" / "syscalls" / "names.c"
DOC = ROOT / "docs" / "syscalls.md"
UNISTD = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")


def kernel_names() -> dict[int, str]:
    return {int(nr): name for nr, name in re.findall(r'\[(\d+)\] = "(\w+)"', NAMES_C.read_text())}


def implemented() -> set[int]:
    entries = re.findall(r'\[(\d+)\] = \{"(\w+)", (\w+)\}', TABLE_C.read_text())
    return {int(nr) for nr, _name, handler in entries if handler != "NULL"}


def documented_missing() -> list[tuple[int, str]]:
    text = DOC.read_text()
    start = text.index("## Missing")
    end = text.index("\n## ", start + 1)
    return [(int(nr), name) for nr, name in
            re.findall(r"^\| (\d+) \| (\w+) \|", text[start:end], re.M)]


@pytest.mark.skipif(not UNISTD.exists(), reason="linux-libc-dev headers not installed")
def test_names_match_linux_numbering():
    linux = {int(nr): name for name, nr in
             re.findall(r"#define __NR_(\w+) (\d+)", UNISTD.read_text())}
    ours = kernel_names()
    wrong = {nr: (ours.get(nr), name) for nr, name in linux.items() if ours.get(nr) != name}
    assert wrong == {}


def test_table_names_agree_with_names_c():
    ours = kernel_names()
    entries = re.findall(r'\[(\d+)\] = \{"(\w+)", (\w+)\}', TABLE_C.read_text())
    wrong = [(int(nr), name) for nr, name, _h in entries if ours.get(int(nr)) != name]
    assert wrong == []


def test_docs_list_exactly_the_missing_numbers():
    names = kernel_names()
    missing = {nr for nr in names if nr not in implemented()}
    listed = documented_missing()
    numbers = [nr for nr, _ in listed]
    assert len(numbers) == len(set(numbers)), "a number is listed twice"
    not_listed = sorted(missing - set(numbers))
    assert not_listed == [], f"missing from docs/syscalls.md: {[(n, names[n]) for n in not_listed]}"
    implemented_but_listed = sorted(set(numbers) - missing)
    assert implemented_but_listed == [], \
        f"implemented now, remove from docs/syscalls.md: {implemented_but_listed}"
    misnamed = [(nr, name) for nr, name in listed if names.get(nr) != name]
    assert misnamed == []
