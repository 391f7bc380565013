"""docs/errors.md and cvmify/errors.py describe the same exit codes."""

from __future__ import annotations

import re
from pathlib import Path

from cvmify import errors
from cvmify.errors import CvmifyError, ExitCode
from cvmify.result import INTERNAL_CODE, INTERRUPTED_CODE, error_info

DOC = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*`?([a-z-]*)`?\s*\|\s*`?(\w*)`?\s*\|.+\|$")


def all_error_classes() -> list[type[CvmifyError]]:
    found, todo = [], [CvmifyError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in found if c.__module__ == errors.__name__]


def doc_rows() -> set[tuple[int, str, str]]:
    rows = set()
    for line in DOC.read_text().splitlines():
        match = ROW.match(line)
        if match:
            rows.add((int(match.group(1)), match.group(2), match.group(3)))
    return rows


def test_every_error_class_is_in_the_table_and_nothing_else():
    expected = {(c.exit_code, c.code, c.__name__) for c in all_error_classes()}
    expected |= {
        (ExitCode.OK, "", ""),
        (ExitCode.GENERIC, INTERNAL_CODE, ""),
        (ExitCode.INTERRUPTED, INTERRUPTED_CODE, ""),
    }
    assert doc_rows() == expected


def test_codes_are_unique_and_exit_codes_distinct_per_class():
    classes = [c for c in all_error_classes() if c is not CvmifyError]
    assert len({c.code for c in classes}) == len(classes)
    assert len({c.exit_code for c in classes}) == len(classes)
    assert all(c.exit_code not in (ExitCode.OK, ExitCode.GENERIC) for c in classes)


def test_every_exit_code_constant_is_used():
    constants = {v for k, v in vars(ExitCode).items() if k.isupper()}
    assert constants == {row[0] for row in doc_rows()}


def test_error_info_maps_classes_interrupts_and_bugs():
    assert error_info(errors.IntegrityError("root mismatch")) == ("integrity", 7, "root mismatch")
    assert error_info(errors.UsageError("two\nlines")) == ("usage", 2, "two lines")
    assert error_info(KeyboardInterrupt()) == (INTERRUPTED_CODE, 130, "interrupted")
    code, exit_code, message = error_info(ZeroDivisionError("division by zero"))
    assert (code, exit_code) == (INTERNAL_CODE, 1)
    assert "division by zero" in message and "--debug" in message
