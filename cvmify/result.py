"""Command results and how they are shown: the one place that renders.

Every command returns a result object (a dataclass with `to_json()` and
`text_lines()`); cli.py hands it here together with the --json choice.
With --json, stdout carries exactly one JSON document, the envelope:

    {"schema": "cvmify-result/1", "command": "build", "ok": true,
     "result": {...}, "error": null, "warnings": [...]}

On failure `result` is null and `error` is {"code", "exit_code",
"message"} with the stable code from cvmify/errors.py. The envelope is
pinned by tests/test_result_contract.py: add fields, never rename them.
Human text goes to stdout; warnings and errors go to stderr as one line
each, prefixed `cvmify: warning:` / `cvmify: error:`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from cvmify.errors import CvmifyError, ExitCode

SCHEMA = "cvmify-result/1"
INTERNAL_CODE = "internal"
INTERRUPTED_CODE = "interrupted"


class CommandResult(Protocol):
    warnings: list[str]  # one line each, to stderr (and into the envelope)

    def to_json(self) -> dict[str, Any]: ...

    def text_lines(self) -> list[str]: ...


@dataclass
class RemovedResult:
    """What `cvmify rm` and `cvmify volume rm` print: the names removed, a line each."""

    removed: list[str]
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"removed": self.removed}

    def text_lines(self) -> list[str]:
        return list(self.removed)


def dumps(obj: Any) -> str:
    """The canonical JSON text: sorted keys, two-space indent, newline."""
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


def one_line(text: str) -> str:
    """Messages are single lines; fold any embedded newlines."""
    return " ".join(text.split("\n")).strip()


def success_envelope(command: str, result: CommandResult) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "command": command,
        "ok": True,
        "result": result.to_json(),
        "error": None,
        "warnings": list(result.warnings),
    }


def error_info(error: BaseException) -> tuple[str, int, str]:
    """(code, exit_code, message) for any exception reaching the CLI."""
    if isinstance(error, CvmifyError):
        return error.code, error.exit_code, one_line(error.message)
    if isinstance(error, KeyboardInterrupt):
        return INTERRUPTED_CODE, ExitCode.INTERRUPTED, "interrupted"
    detail = one_line(str(error)) or type(error).__name__
    return INTERNAL_CODE, ExitCode.GENERIC, f"internal error: {detail} (run with --debug for the traceback)"


def error_envelope(command: str, error: BaseException) -> dict[str, Any]:
    code, exit_code, message = error_info(error)
    return {
        "schema": SCHEMA,
        "command": command,
        "ok": False,
        "result": None,
        "error": {"code": code, "exit_code": exit_code, "message": message},
        "warnings": [],
    }


def warning_line(text: str) -> str:
    return f"cvmify: warning: {one_line(text)}"


def error_line(error: BaseException) -> str:
    return f"cvmify: error: {error_info(error)[2]}"


def render_success(command: str, result: CommandResult, as_json: bool, out: TextIO, err: TextIO) -> None:
    for text in result.warnings:
        err.write(warning_line(text) + "\n")
    for line in getattr(result, "notes", []):  # diagnostics that are not the result
        err.write(line + "\n")
    if as_json:
        out.write(dumps(success_envelope(command, result)))
    else:
        for line in result.text_lines():
            out.write(line + "\n")
    out.flush()


def render_error(command: str, error: BaseException, as_json: bool, out: TextIO, err: TextIO) -> int:
    """Print the error (and the envelope with --json); return the exit code."""
    err.write(error_line(error) + "\n")
    err.flush()
    if as_json:
        out.write(dumps(error_envelope(command, error)))
        out.flush()
    return error_info(error)[1]
