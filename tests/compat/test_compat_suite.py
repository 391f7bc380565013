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
    assert images.select(["compat"]) == [n for n in images.RECIPES if n.startswith("compat-")]


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
    assert missing_syscalls(results) == {(280, "utimensat"): {"a", "c"},
                                         (117, "unknown"): {"a"}}
