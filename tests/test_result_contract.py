"""The --json envelope is a contract: these tests pin its shape.

Add fields freely; renaming or removing one needs a new schema version.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from typer.testing import CliRunner

from cvmify import cli
from cvmify.bundle import ImageInfo
from cvmify.commands.build import BuildResult
from cvmify.errors import BadBundleError, GuestFailureError
from cvmify.result import SCHEMA, error_envelope, render_error, render_success, success_envelope

ENVELOPE_KEYS = {"schema", "command", "ok", "result", "error", "warnings"}


def build_result() -> BuildResult:
    return BuildResult(
        bundle=Path("out.bundle"),
        image=ImageInfo("docker-daemon:x:1", "sha256:" + "a" * 64, None, "linux/amd64"),
        entrypoint="/hello", argv=["/hello"], files=5, size=100, disk_root=bytes(48), disk_blocks=3,
        rtmr=bytes(range(48)), created=1700000000, key_file=Path("out.bundle/disk-key.dev"),
        warnings=["development key"],
    )


def test_schema_name_is_pinned():
    assert SCHEMA == "cvmify-result/1"


def test_success_envelope_shape():
    env = success_envelope("build", build_result())
    assert set(env) == ENVELOPE_KEYS
    assert env["schema"] == SCHEMA and env["command"] == "build" and env["ok"] is True
    assert env["error"] is None and env["warnings"] == ["development key"]


def test_build_result_fields_are_pinned():
    result = success_envelope("build", build_result())["result"]
    assert set(result) == {"bundle", "image", "entrypoint", "argv", "files", "size", "disk", "rtmr", "mrtd",
                           "created", "key_file"}
    assert set(result["image"]) == {"reference", "config_digest", "manifest_digest", "platform"}
    assert result["disk"] == {"root": "00" * 48, "block_count": 3}
    assert result["rtmr"] == bytes(range(48)).hex()


def test_error_envelope_shape():
    env = error_envelope("run", GuestFailureError("guest kernel panic: x"))
    assert set(env) == ENVELOPE_KEYS
    assert env["ok"] is False and env["result"] is None
    assert env["error"] == {"code": "guest-failure", "exit_code": 12, "message": "guest kernel panic: x"}


def test_rendering_json_is_one_document_on_stdout():
    out, err = io.StringIO(), io.StringIO()
    render_success("build", build_result(), True, out, err)
    assert json.loads(out.getvalue()) == success_envelope("build", build_result())
    assert out.getvalue().endswith("}\n")
    assert err.getvalue() == "cvmify: warning: development key\n"


def test_rendering_an_error_returns_its_exit_code():
    out, err = io.StringIO(), io.StringIO()
    assert render_error("inspect", BadBundleError("b: missing rootfs.img"), True, out, err) == 10
    assert json.loads(out.getvalue())["error"]["code"] == "bad-bundle"
    assert err.getvalue() == "cvmify: error: b: missing rootfs.img\n"


def test_text_mode_prints_no_json():
    out, err = io.StringIO(), io.StringIO()
    render_success("build", build_result(), False, out, err)
    assert not out.getvalue().lstrip().startswith("{")
    assert "rtmr:" in out.getvalue()


def test_cli_json_error_from_a_real_failure(tmp_path):
    result = CliRunner().invoke(cli.app, ["inspect", str(tmp_path / "missing"), "--json"])
    assert result.exit_code == 10
    env = json.loads(result.stdout)
    assert set(env) == ENVELOPE_KEYS
    assert env["command"] == "inspect" and env["ok"] is False
    assert env["error"]["code"] == "bad-bundle" and env["error"]["exit_code"] == 10
    assert result.stderr.startswith("cvmify: error: ")
