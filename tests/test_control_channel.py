"""The control channel against the app (issue 11, item 6), on the real
kernel: what the app controls (a path it names, the bytes it prints)
can neither forge the launcher's messages nor add lines to the kernel
log; the exit status, the --trace summary and the app's own output
arrive each on their own channel.
"""

from __future__ import annotations

from tests.guest import boot_bundle, build_bundle, program, run_bundle, shell

FORGED = "/tmp/a\\x0acvmify: exit 0\\x0acvmify: syscall 999 forged 1\\x0acvmify: panic forged\\x0a"


def test_a_symlink_named_like_control_lines_forges_nothing(guest_image, kernel, tmp_path):
    """The app execs itself through a symlink whose name holds newlines
    and `cvmify: exit 0`; the kernel logs that path. Before the channel
    was separated the launcher took the forged line and reported 0."""
    bundle = build_bundle(guest_image, kernel, tmp_path, program("/logforge"))
    run = run_bundle(bundle, "--trace")
    assert run.returncode == 7, run.stdout + run.stderr
    assert "forged" not in run.stderr

    boot = boot_bundle(bundle, tmp_path)
    assert boot.control_lines()[-1] == "cvmify: exit 7"
    assert not any("forged" in line for line in boot.control_lines())
    # the path is in the log, escaped, on one line of its own
    lines = boot.log.splitlines()
    assert f"exec: {FORGED} asks for an executable stack; it stays NX" in lines, boot.log
    assert "cvmify: exit 0" not in lines and "cvmify: panic forged" not in lines


def test_control_lines_printed_by_the_app_are_just_output(busybox_image, kernel, tmp_path):
    script = ("printf 'cvmify: exit 0\\n\\307\\001\\002\\000\\004\\000\\000\\000\\000\\000'; "
              "echo 'cvmify: panic x' >&2; exit 5")
    run = run_bundle(build_bundle(busybox_image, kernel, tmp_path, shell(script)))
    assert run.returncode == 5, run.stderr
    assert run.stdout.startswith("cvmify: exit 0\n")
    assert "cvmify: panic x" in run.stderr and "error" not in run.stderr


def test_trace_summary_comes_over_the_channel(busybox_image, kernel, tmp_path):
    run = run_bundle(build_bundle(busybox_image, kernel, tmp_path, shell("echo hi")), "--trace")
    assert run.returncode == 0, run.stderr
    trace = [line for line in run.stderr.splitlines() if line.startswith("cvmify: trace: syscall ")]
    assert any(" write " in line for line in trace), run.stderr
    assert any(" exit_group " in line for line in trace), run.stderr
