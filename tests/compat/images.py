"""Image recipes of the compatibility suite, added to tests/images/build.py.

Three levels, all cached by content hash like every test image:

- `compat-base-NAME` (repo cvmify-compat/base-NAME): a shared base with a
  group of Debian packages (tests/compat/bases/NAME/packages), on top of
  the `debian` test image (or `python3` for bases that need it);
- `compat-files-BASE` (repo cvmify-compat/files-BASE): that base plus one
  layer with the files of every case on it, each under /compat/CASE/;
- `compat-CASE` (repo cvmify-compat/CASE): the case's image config
  (CMD, ENTRYPOINT, USER, ENV, WORKDIR) over the files image, with no
  layer of its own unless the case has `setup` steps.

Why the files layer is shared: under the vfs storage driver (docker's
only choice on some hosts, ours included) every layer is a full copy of
the root, so a layer per case would cost a copy of its base per case in
disk and build time. Instructions that change only the config still cost
the builder a temporary container, so case images keep to few of them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.compat.cases import (BASES_DIR, CASE_FILE, CASES_DIR, PLAIN_BASES, Case,
                                base_dockerfile, bases, load_cases)
from tests.images.recipe import Recipe

PREFIX = "compat-"
# Bases that need another parent than the debian image.
BASE_PARENTS = {"pytests": "python3"}
# Bases no case uses: only benchmarks/conformance.py builds them.
BENCHMARK_BASES = {"pytests"}
FILES_DOCKERFILE = "ARG BASE\nFROM ${BASE}\nCOPY files/ /compat/\n"


def base_recipe_name(base: str) -> str:
    return base if base in PLAIN_BASES else f"{PREFIX}base-{base}"


def files_recipe_name(base: str) -> str:
    return f"{PREFIX}files-{base}"


def case_recipe_name(name: str) -> str:
    return f"{PREFIX}{name}"


def stage_base(base: str):
    def stage(context: Path) -> None:
        (context / "Dockerfile").write_text(base_dockerfile(base))

    return stage


def stage_files(cases: list[Case]):
    """The copied cases/ directory becomes files/CASE/... for the cases on
    this base (without their case.toml) and a Dockerfile that adds them."""

    def stage(context: Path) -> None:
        files = context / "files"
        files.mkdir()
        for case in cases:
            shutil.move(str(context / case.name), files / case.name)
            (files / case.name / CASE_FILE).unlink()
        for entry in context.iterdir():
            if entry.name != "files":
                shutil.rmtree(entry)
        (context / "Dockerfile").write_text(FILES_DOCKERFILE)

    return stage


def stage_case(case: Case):
    """Only the generated Dockerfile: the files come from the files image."""

    def stage(context: Path) -> None:
        for entry in context.iterdir():
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        (context / "Dockerfile").write_text(case.dockerfile())

    return stage


def recipes() -> list[Recipe]:
    found = [
        Recipe(base_recipe_name(base), f"cvmify-compat/base-{base}", "dockerfile",
               BASES_DIR / base, parent=BASE_PARENTS.get(base, "debian"),
               inputs=lambda base=base: [base_dockerfile(base).encode()],
               stage=stage_base(base), benchmark=base in BENCHMARK_BASES)
        for base in bases()
    ]
    cases = load_cases()
    for base in sorted({case.base for case in cases.values()}):
        on_base = [case for case in cases.values() if case.base == base]
        found.append(Recipe(
            files_recipe_name(base), f"cvmify-compat/files-{base}", "dockerfile", CASES_DIR,
            parent=base_recipe_name(base),
            inputs=lambda on_base=on_base: [FILES_DOCKERFILE.encode(),
                                            " ".join(c.name for c in on_base).encode()],
            stage=stage_files(on_base)))
    for case in cases.values():
        found.append(Recipe(
            case_recipe_name(case.name), f"cvmify-compat/{case.name}", "dockerfile",
            case.directory, parent=files_recipe_name(case.base),
            inputs=lambda case=case: [case.dockerfile().encode()],
            stage=stage_case(case)))
    return found
