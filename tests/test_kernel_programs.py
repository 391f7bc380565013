"""Real programs on the real kernel: `cvmify build` of a test image, then
`cvmify run --accel tcg`, exactly as a user would (the CLI in a
subprocess, QEMU/TCG underneath).

What runs: busybox's static `sh -c` (builtins, pipelines, $(...)), exit
statuses, stderr on its own channel, execve and a "#!" script entrypoint,
infra's script image as built, the
--trace summary, a NULL dereference (SIGSEGV -> 139), a static and a
static-pie hello, the kernel/tests/guest/ syscall-family programs, an
out-of-memory app (SIGKILL -> 137), and Debian's dynamic python3 (through
its own ld.so) importing json, hashlib, sqlite3 and re, and running
subprocesses.

CVMIFY_TEST_KERNEL=/path/to/kernel.elf runs the same tests against a
kernel built elsewhere (e.g. `make -C kernel BUILD=/tmp/kb`).
"""

from __future__ import annotations

import hashlib

import pytest

from tests.guest import GUEST_PROGRAMS, build_and_run, program, shell

SIGSEGV_STATUS = 128 + 11


# -- busybox: the static shell -----------------------------------------------


def test_busybox_sh_builtins_and_exit_status(busybox_image, kernel, tmp_path):
    script = ('echo "hello from sh"; x=$((6 * 7)); echo "x=$x"; '
              'for i in 1 2 3; do printf "%s," "$i"; done; echo; '
              'test -d /tmp && echo "tmp is a dir"; exit 42')
    run = build_and_run(busybox_image, kernel, tmp_path, shell(script))
    assert run.returncode == 42, run.stderr
    assert "hello from sh" in run.stdout
    assert "x=42" in run.stdout
    assert "1,2,3," in run.stdout
    assert "tmp is a dir" in run.stdout


@pytest.mark.parametrize("status", [0, 3, 255])
def test_busybox_exit_status_propagates(busybox_image, kernel, tmp_path, status):
    run = build_and_run(busybox_image, kernel, tmp_path, shell(f"exit {status}"))
    assert run.returncode == status, run.stderr


def test_busybox_stderr_goes_to_its_own_channel(busybox_image, kernel, tmp_path):
    run = build_and_run(busybox_image, kernel, tmp_path,
                        shell("echo to-stdout; echo to-stderr >&2"))
    assert run.returncode == 0, run.stderr
    assert "to-stdout" in run.stdout
    assert "to-stderr" not in run.stdout
    assert "to-stderr" in run.stderr


def test_busybox_pipelines_and_command_substitution(busybox_image, kernel, tmp_path):
    script = ('echo one two three | wc -w; x=$(echo sub); echo "got:$x"; '
              '(exit 3); echo "status:$?"; ls / | grep -c bin')
    run = build_and_run(busybox_image, kernel, tmp_path, shell(script))
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["3", "got:sub", "status:3", "1"]


def test_script_image_runs_as_built(script_image, kernel, tmp_path):
    """infra's script image: "#!/bin/sh" entrypoint, CMD args, WORKDIR,
    ENV, and a $(pwd) that needs fork and a pipe."""
    run = build_and_run(script_image, kernel, tmp_path, {})
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "hello from the script image", "cwd=/app/work", "mode=test", "argc=2",
        "arg=first-arg", "arg=second arg"]


def test_busybox_exec_replaces_the_shell(busybox_image, kernel, tmp_path):
    run = build_and_run(busybox_image, kernel, tmp_path,
                        shell("echo before; exec /bin/echo replaced by exec; echo never"))
    assert run.returncode == 0, run.stderr
    assert "before" in run.stdout
    assert "replaced by exec" in run.stdout
    assert "never" not in run.stdout


@pytest.fixture(scope="session")
def shebang_image(busybox_image, docker_client, tmp_path_factory) -> str:
    """busybox plus an executable "#!/bin/sh -e" script as the entrypoint."""
    context = tmp_path_factory.mktemp("shebang-image")
    script = context / "hello.sh"
    script.write_text('#!/bin/sh -e\necho "script $0 got $1"\nexit 5\n')
    script.chmod(0o755)  # the legacy builder keeps the file's mode
    (context / "Dockerfile").write_text(
        f"FROM {busybox_image}\nCOPY hello.sh /hello.sh\nENTRYPOINT [\"/hello.sh\"]\n")
    digest = hashlib.sha256((context / "Dockerfile").read_bytes() + script.read_bytes())
    tag = f"cvmify-test/shebang:h-{digest.hexdigest()[:20]}"
    docker_client.images.build(path=str(context), tag=tag, network_mode="host", rm=True)
    return tag


def test_shebang_script_entrypoint(shebang_image, kernel, tmp_path):
    run = build_and_run(shebang_image, kernel, tmp_path,
                        {"loader": {"argv": ["/hello.sh", "first"]}})
    assert run.returncode == 5, run.stdout + run.stderr
    assert "script /hello.sh got first" in run.stdout


def test_trace_lists_used_and_missing_syscalls(busybox_image, kernel, tmp_path):
    run = build_and_run(busybox_image, kernel, tmp_path, shell("exit 0"), ("--trace",))
    assert run.returncode == 0, run.stderr
    assert "syscall 231 exit_group 1" in run.stderr
    # glibc registers rseq, which we do not implement: reported, not faked.
    assert "syscall 334 rseq" in run.stderr and "missing" in run.stderr


# -- small static C programs (infra's cprogs image) ---------------------------


def test_null_dereference_dies_with_sigsegv(cprogs_image, kernel, tmp_path):
    run = build_and_run(cprogs_image, kernel, tmp_path, program("/segv"))
    assert run.returncode == SIGSEGV_STATUS, run.stderr


@pytest.mark.parametrize("name", ["/hello", "/hello-pie"])
def test_static_and_static_pie_hello(cprogs_image, kernel, tmp_path, name):
    run = build_and_run(cprogs_image, kernel, tmp_path, program(name))
    assert run.returncode == 0, run.stderr
    assert "hello from cvmify" in run.stdout


def test_exit_code_from_c_program(cprogs_image, kernel, tmp_path):
    run = build_and_run(cprogs_image, kernel, tmp_path, program("/exitcode", "7"))
    assert run.returncode == 7, run.stderr


# -- kernel/tests/guest: one program per syscall family ------------------------


@pytest.mark.parametrize("name", GUEST_PROGRAMS)
def test_guest_program(guest_image, kernel, tmp_path, name):
    run = build_and_run(guest_image, kernel, tmp_path, program(f"/{name}"))
    failures = [line for line in run.stdout.splitlines() if line.startswith("FAIL")]
    assert failures == [], run.stdout
    assert f"{name}: 0 failure(s)" in run.stdout, run.stdout + run.stderr
    assert run.returncode == 0


def test_out_of_memory_kills_with_sigkill(guest_image, kernel, tmp_path):
    run = build_and_run(guest_image, kernel, tmp_path, program("/oom"), ("--memory", "128M"))
    assert run.returncode == 128 + 9, run.stdout + run.stderr
    assert "mmap failed" not in run.stdout


# -- Debian's python3: a dynamic glibc program through its own ld.so ----------

PYTHON_SCRIPT = r"""
import hashlib, json, re, sqlite3
release = open("/etc/os-release").read()
print("debian:", "ID=debian" in release)
with open("/tmp/data.json", "w") as f:
    json.dump({"numbers": [1, 2, 3]}, f)
with open("/tmp/data.json") as f:
    print("json:", json.load(f)["numbers"])
print("sha256:", hashlib.sha256(b"abc").hexdigest())
db = sqlite3.connect(":memory:")
db.execute("create table t (x integer)")
db.execute("insert into t values (41)")
print("sqlite:", db.execute("select x + 1 from t").fetchone()[0])
print("re:", re.sub(r"(\d+)", r"<\1>", "a1b22"))
raise SystemExit(7)
"""


def test_python3_script(python3_image, kernel, tmp_path):
    manifest = {"loader": {"argv": ["/usr/bin/python3", "-c", PYTHON_SCRIPT]}}
    run = build_and_run(python3_image, kernel, tmp_path, manifest)
    assert run.returncode == 7, run.stderr
    assert "debian: True" in run.stdout
    assert "json: [1, 2, 3]" in run.stdout
    assert ("sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            in run.stdout)
    assert "sqlite: 42" in run.stdout
    assert "re: a<1>b<22>" in run.stdout


def test_python3_subprocess_fork_and_pipes(python3_image, kernel, tmp_path):
    script = (
        "import os, subprocess\n"
        "r = subprocess.run(['/bin/echo', 'from child'], capture_output=True, text=True)\n"
        "print('child said:', r.stdout.strip(), r.returncode)\n"
        "print('shell status:', subprocess.run(['/bin/sh', '-c', 'exit 9']).returncode)\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(4)\n"
        "print('fork status:', os.WEXITSTATUS(os.waitpid(pid, 0)[1]))\n")
    manifest = {"loader": {"argv": ["/usr/bin/python3", "-c", script]}}
    run = build_and_run(python3_image, kernel, tmp_path, manifest)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["child said: from child 0", "shell status: 9",
                                       "fork status: 4"]


def test_python3_uncaught_exception_exits_1(python3_image, kernel, tmp_path):
    manifest = {"loader": {"argv": ["/usr/bin/python3", "-c", "raise ValueError('boom')"]}}
    run = build_and_run(python3_image, kernel, tmp_path, manifest)
    assert run.returncode == 1
    assert "ValueError: boom" in run.stderr
