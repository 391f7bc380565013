"""The compatibility suite's own machinery: case files, the known list,
normalisation, comparison, and stopping a hung guest run. No docker or
QEMU needed (the guest-stopping test uses plain processes)."""

from __future__ import annotations

import re
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.compat import cases as cases_module
from tests.compat import images as compat_images
from tests.compat.cases import CaseError, load_case, load_cases
from tests.compat.known import AREAS, KnownError, load_known
from tests.compat.runner import TIMED_OUT, Comparison, Outcome, run_bounded
from tests.images import build as images

DOCS = Path(__file__).resolve().parent.parent.parent / "docs" / "compat.md"
# Areas issue 12 asks the suite to cover, and a case that covers each.
REQUIRED = ["bash-jobs", "dash-posix", "coreutils-files", "findutils", "tar-compress",
            "git-repo", "gcc-build", "python3-stdlib", "perl-script", "ruby-script",
            "node-script", "php-script", "lua-script", "tcl-script", "go-gosu",
            "java-runtime", "init-tini", "init-dumb-init", "setpriv-drop", "runuser-su",
            "proc-status", "proc-system", "limits-ulimit", "limits-prlimit"]


def test_at_least_thirty_cases_covering_the_issue() -> None:
    cases = load_cases()
    assert len(cases) >= 30
    assert [name for name in REQUIRED if name not in cases] == []


def test_every_case_has_an_image_recipe_on_a_known_base() -> None:
    for name, case in load_cases().items():
        recipe = images.RECIPES[compat_images.case_recipe_name(name)]
        assert recipe.parent == compat_images.files_recipe_name(case.base), name
        files = images.RECIPES[recipe.parent]
        assert files.parent == compat_images.base_recipe_name(case.base)
        assert files.parent in images.RECIPES
    compat = [n for n in images.RECIPES if n.startswith("compat-")]
    assert images.select(["compat"]) == [n for n in compat if n != "compat-base-pytests"]


def test_the_conformance_image_is_built_only_when_named() -> None:
    """CI builds `all` images; the CPython test suite serves only the
    conformance benchmark, so it is left out unless asked for by name."""
    assert "compat-base-pytests" not in images.select(["all"])
    assert "compat-files-debian" in images.select(["all"])
    assert images.select(["compat-base-pytests"]) == ["compat-base-pytests"]


def test_known_entries_name_existing_cases_and_areas() -> None:
    cases, known = load_cases(), load_known()
    assert sorted(set(known) - set(cases)) == []
    assert all(entry.area in AREAS for entry in known.values())


def test_docs_list_every_known_difference() -> None:
    """docs/compat.md names each case of known.toml (and its issue)."""
    text = DOCS.read_text()
    missing = [name for name in load_known() if f"`{name}`" not in text]
    assert missing == []


def test_known_file_rejects_malformed_entries(tmp_path) -> None:
    path = tmp_path / "known.toml"
    path.write_text('[x]\narea = "threads"\nissue = 7\n')
    with pytest.raises(KnownError, match="exactly area, issue, reason"):
        load_known(path)
    path.write_text('[x]\narea = "elsewhere"\nissue = 7\nreason = "r"\n')
    with pytest.raises(KnownError, match="is not one of"):
        load_known(path)


def make_case(tmp_path: Path, name: str, body: str) -> Path:
    directory = tmp_path / name
    directory.mkdir()
    (directory / "case.toml").write_text(textwrap.dedent(body))
    return directory


def test_case_files_are_checked(tmp_path) -> None:
    with pytest.raises(CaseError, match="cmd is required"):
        load_case(make_case(tmp_path, "a", 'about = "x"\nbase = "debian"\n'))
    with pytest.raises(CaseError, match="unknown base"):
        load_case(make_case(tmp_path, "b", 'about = "x"\nbase = "nope"\ncmd = ["true"]\n'))
    with pytest.raises(CaseError, match="must say why"):
        load_case(make_case(tmp_path, "c", '''
            about = "x"
            base = "debian"
            cmd = ["true"]
            [[normalize]]
            pattern = "a"
            replace = "b"
            why = " "
            '''))
    with pytest.raises(CaseError, match="unknown keys"):
        load_case(make_case(tmp_path, "d", 'about = "x"\nbase = "debian"\ncmd = ["t"]\nx = 1\n'))


def test_files_context_holds_the_cases_of_one_base(tmp_path) -> None:
    recipe = images.RECIPES[compat_images.files_recipe_name("perl-git")]
    context = images.stage_context(recipe, tmp_path / "context")
    assert (context / "Dockerfile").read_text() == compat_images.FILES_DOCKERFILE
    names = sorted(p.name for p in (context / "files").iterdir())
    assert names == sorted(n for n, c in load_cases().items() if c.base == "perl-git")
    assert (context / "files" / "git-repo" / "run.sh").is_file()
    assert not list(context.rglob("case.toml"))
    assert sorted(p.name for p in context.iterdir()) == ["Dockerfile", "files"]


def test_dockerfile_sets_the_image_config(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(cases_module, "CASES_DIR", tmp_path)
    directory = make_case(tmp_path, "demo", '''
        about = "x"
        base = "debian"
        cmd = ["/bin/sh", "/compat/run.sh"]
        entrypoint = ["/usr/bin/tini", "--"]
        user = "nobody"
        env = { A = "1 2", B = "x" }
        setup = ["useradd app"]
        ''')
    (directory / "run.sh").write_text("echo hi\n")
    dockerfile = load_case(directory).dockerfile()
    assert dockerfile.splitlines() == [
        "ARG BASE", "FROM ${BASE}", "RUN useradd app",
        'ENV A="1 2" B="x"', "USER nobody",
        'ENTRYPOINT ["/usr/bin/tini", "--"]', 'CMD ["/bin/sh", "/compat/run.sh"]']


def outcome(code: int, stdout: str) -> Outcome:
    return Outcome(code, stdout, "", 0.0)


def test_comparison_normalises_only_what_the_case_names() -> None:
    case = load_cases()["uname-system"]
    docker = "sysname=Linux\nrelease=6.1.0-host\n"
    same = Comparison(case, outcome(0, docker), outcome(0, "sysname=Linux\nrelease=0.1-cvmify\n"))
    assert same.differences() == []
    other = Comparison(case, outcome(0, docker), outcome(0, "sysname=Other\nrelease=x\n"))
    assert any("stdout differs" in d and "+sysname=Other" in d for d in other.differences())
    status = Comparison(case, outcome(0, docker), outcome(TIMED_OUT, docker))
    assert status.differences() == ["status: docker exit 0, cvmify timeout"]


def test_a_hung_run_is_stopped_with_its_children() -> None:
    """The guard that keeps a hung guest from stalling the suite stops the
    whole process group (cvmify and its QEMU), not just the first process."""
    script = "sleep 300 & echo $! ; wait"
    start = time.monotonic()
    code, out, _ = run_bounded([sys.executable, "-c", f"import os; os.system({script!r})"], 2)
    assert code == TIMED_OUT
    assert time.monotonic() - start < 60
    grandchild = int(re.findall(r"\d+", out)[0])
    for _ in range(50):
        if not Path(f"/proc/{grandchild}").exists() or zombie(grandchild):
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{grandchild}").exists() or zombie(grandchild)


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return True



def test_diffs_show_what_a_terminal_hides() -> None:
    case = load_cases()["bash-basics"]
    crlf = Comparison(case, outcome(0, "a\nb\n"), outcome(0, "a\r\nb\r\n"))
    assert "+a\\r" in crlf.differences()[0]
    cut = Comparison(case, outcome(0, "a\nb\n"), outcome(0, "a\nb"))
    assert "+b\\ (no newline at end)" in cut.differences()[0]


def test_base_dockerfile_installs_the_listed_packages() -> None:
    dockerfile = cases_module.base_dockerfile("gcc")
    assert dockerfile.startswith("ARG BASE\nFROM ${BASE}\n")
    assert "--no-install-recommends \\\n      gcc libc6-dev make \\\n" in dockerfile
    assert "#" not in " ".join(cases_module.base_packages("tools"))


def test_report_collects_missing_syscalls_from_traces() -> None:
    from tests.compat.report import missing_syscalls

    stderr = ("cvmify: trace: syscall 0 read 5\n"
              "cvmify: trace: syscall 280 utimensat 2 missing\n"
              "cvmify: trace: syscall 117 unknown 1 missing\n")
    results = {"a": {"cvmify": {"stderr": stderr}}, "b": {"verdict": "ERROR"},
               "c": {"cvmify": {"stderr": "cvmify: trace: syscall 280 utimensat 1 missing\n"}}}
    assert missing_syscalls(results, {}) == {(280, "utimensat"): {"a", "c"},
                                             (117, "unknown"): {"a"}}
    named = missing_syscalls(results, {117: "setresuid", 280: "utimensat"})
    assert named == {(280, "utimensat"): {"a", "c"}, (117, "setresuid?"): {"a"}}


def test_report_names_syscalls_from_the_host_header(tmp_path) -> None:
    from tests.compat.report import syscall_names

    header = tmp_path / "unistd_64.h"
    header.write_text("#define __NR_read 0\n#define __NR_setresuid 117\n#define X 1\n")
    assert syscall_names(header) == {0: "read", 117: "setresuid"}
    assert syscall_names(tmp_path / "absent.h") == {}


def test_a_guest_run_leaves_no_bundle_behind(tmp_path, monkeypatch) -> None:
    """Every case's bundle is as large as its image: the suite removes each
    one once its run is over, whether the build or the run failed."""
    from tests.compat import runner

    calls = []

    def fake_run(argv, timeout):
        calls.append(argv[3])
        if argv[3] == "build":
            bundle = Path(argv[argv.index("-o") + 1])
            bundle.mkdir()
            (bundle / "rootfs.img").write_bytes(b"x" * 4096)
        return 0, "out", ""

    monkeypatch.setattr(runner, "run_bounded", fake_run)
    case = load_cases()["bash-basics"]
    outcome = runner.cvmify_run(case, "tag", Path("kernel.elf"), tmp_path)
    assert (outcome.returncode, outcome.stdout, calls) == (0, "out", ["build", "run"])
    assert list(tmp_path.iterdir()) == []


def load_conformance():
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "conformance.py"
    spec = importlib.util.spec_from_file_location("conformance", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["conformance"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_conformance_counts_unittest_verbose_lines_by_test_id() -> None:
    conformance = load_conformance()
    output = textwrap.dedent("""\
        test_a (test.test_x.T.test_a) ... ok
        test_b (test.test_x.T.test_b) ... Tested length: 2000
        ok
        test_c (test.test_x.T.test_c)
        Check the repr. ... FAIL
        test_d (test.test_x.T.test_d) ... skipped 'needs network'
        test_e (test.test_x.T.test_e) ... ERROR
        test_f (test.test_x.U.test_a) ... expected failure
        test_g (test.test_x.U.test_g) ...
        Tests result: FAILURE
        """)
    result = conformance.parse(output, 2, 1.0)
    assert (result.ok, result.fail, result.error, result.skipped) == (3, 1, 1, 1)
    assert result.passed == ["test.test_x.T.test_a", "test.test_x.T.test_b",
                             "test.test_x.U.test_a"]
    assert result.ended == "FAILURE"
    assert conformance.parse(output, -1, 1.0).ended == "timeout"
    assert conformance.parse("test_a (x.y) ... ok\n", 1, 1.0).ended == "crash"
    docker = conformance.ModuleResult(passed=["a", "b", "c"])
    guest = conformance.ModuleResult(passed=["b", "c", "d"])
    assert conformance.both_passed(docker, guest) == 2


def test_conformance_resume_reads_back_only_finished_guest_logs(tmp_path) -> None:
    conformance = load_conformance()
    (tmp_path / "guest-test_done.log").write_text(
        "test_a (test.test_done.T.test_a) ... ok\n\n--- stderr ---\n\n"
        "--- exit -1 after 240.0 s ---\n")
    (tmp_path / "guest-test_cut.log").write_text("test_a (test.test_cut.T.test_a) ... ok\n")
    done = conformance.finished_guest_module(tmp_path, "test_done")
    assert (done.ok, done.ended, done.seconds) == (1, "timeout", 240.0)
    assert conformance.finished_guest_module(tmp_path, "test_cut") is None
    assert conformance.finished_guest_module(tmp_path, "test_never") is None
    marks = "@@@compat start test_x 100\ntest_a (test.test_x.T.test_a) ... ok\n" \
            "Tests result: SUCCESS\n@@@compat end test_x 0 103\n"
    docker = conformance.docker_results(marks, ["test_x", "test_y"])
    assert (docker["test_x"].ok, docker["test_x"].ended, docker["test_x"].seconds) == \
        (1, "SUCCESS", 3)
    assert docker["test_y"].ended == "missing"
