"""The test infrastructure does what it claims: each test image has the
config and contents its recipe promises (checked through the docker
daemon's own view), the cache reuses images, the registry fixture serves
what was pushed, and the helper scripts parse."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest
import requests
from elftools.elf.elffile import ELFFile

from tests.images import build as images
from tests.images import cache, layers
from tests.images.mirror import MirrorNotFound, debian_mirror, parse_deb822, parse_one_line

REPO_ROOT = Path(__file__).resolve().parent.parent


# -- helpers -----------------------------------------------------------------


def run(client, image: str, command=None, entrypoint=None) -> tuple[int, str]:
    """Run a container to completion; returns (exit status, combined output)."""
    container = client.containers.run(image, command, entrypoint=entrypoint, detach=True,
                                      network_mode="none")
    try:
        status = container.wait(timeout=300)["StatusCode"]
        return status, container.logs().decode()
    finally:
        container.remove(force=True)


def config_of(client, image: str) -> dict:
    return client.images.get(image).attrs["Config"]


def read_tree(client, image: str, path: str) -> dict[str, tarfile.TarInfo | bytes]:
    """`path` as the daemon assembled it from the image's layers:
    {absolute path: file bytes, or the TarInfo for non-regular entries}."""
    container = client.containers.create(image)
    try:
        stream, _ = container.get_archive(path)
        data = b"".join(stream)
    finally:
        container.remove(force=True)
    tree: dict[str, tarfile.TarInfo | bytes] = {}
    parent = str(Path(path).parent).rstrip("/")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar:
            name = f"{parent}/{member.name}"
            tree[name] = tar.extractfile(member).read() if member.isreg() else member
    return tree


def saved_layers(client, image: str) -> list[list[tarfile.TarInfo]]:
    """The members of each layer tarball of `docker save IMAGE`, in order."""
    raw = b"".join(client.images.get(image).save(named=False))
    with tarfile.open(fileobj=io.BytesIO(raw)) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        result = []
        for path in manifest[0]["Layers"]:
            with tarfile.open(fileobj=outer.extractfile(path)) as layer:
                result.append(layer.getmembers())
        return result


# -- the cache and the build table ---------------------------------------------


def test_recipe_hash_follows_content_mode_and_parents(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    first = cache.recipe_hash("x", tmp_path, [], [])
    assert cache.recipe_hash("x", tmp_path, [], []) == first
    (tmp_path / "Dockerfile").chmod(0o755)
    by_mode = cache.recipe_hash("x", tmp_path, [], [])
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCMD x\n")
    by_content = cache.recipe_hash("x", tmp_path, [], [])
    by_parent = cache.recipe_hash("x", tmp_path, [], ["p"])
    by_input = cache.recipe_hash("x", tmp_path, [b"gcc 12"], [])
    assert len({first, by_mode, by_content, by_parent, by_input}) == 5


def test_every_parent_is_a_known_recipe_and_contexts_exist():
    for recipe in images.RECIPES.values():
        assert recipe.parent is None or recipe.parent in images.RECIPES
        if recipe.kind == "dockerfile":
            # The Dockerfile is in the context, or the recipe's stage writes it
            # (tests/compat/ generates the Dockerfiles of its bases and cases).
            staged = recipe.stage is not None and recipe.name.startswith("compat-")
            assert (recipe.context / "Dockerfile").is_file() or staged, recipe.name


@pytest.mark.docker
def test_second_ensure_reuses_the_cached_image(docker_client, busybox_image):
    again = images.ensure("busybox", docker_client)
    assert not again.built
    assert again.tag == busybox_image
    latest = docker_client.images.get("cvmify-test/busybox:latest")
    assert latest.id == again.image_id
    assert latest.labels[cache.HASH_LABEL].startswith(busybox_image.split(":h-")[1])


# -- the images -----------------------------------------------------------------


@pytest.mark.docker
def test_busybox_image_has_shell_entrypoint_and_applets(docker_client, busybox_image):
    config = config_of(docker_client, busybox_image)
    assert config["Entrypoint"] == ["/bin/sh"]
    assert any(e.startswith("PATH=") for e in config["Env"])
    status, out = run(docker_client, busybox_image, ["-c", "echo hi; readlink /bin/cat; test -d /tmp"])
    assert (status, out) == (0, "hi\n/bin/busybox\n")


@pytest.mark.docker
def test_nonroot_image_runs_as_app(docker_client, nonroot_image):
    assert config_of(docker_client, nonroot_image)["User"] == "app"
    status, out = run(docker_client, nonroot_image)
    assert status == 0
    assert out.startswith("uid=1000(app) gid=1000(app)")


@pytest.mark.docker
def test_script_image_sets_every_config_field(docker_client, script_image):
    config = config_of(docker_client, script_image)
    assert config["Entrypoint"] == ["/app/run.sh"]
    assert config["Cmd"] == ["first-arg", "second arg"]
    assert config["WorkingDir"] == "/app/work"
    assert "GREETING=hello from the script image" in config["Env"]
    assert config["Volumes"] == {"/data": {}}
    assert config["ExposedPorts"] == {"8080/tcp": {}}
    assert config["StopSignal"] == "SIGINT"
    status, out = run(docker_client, script_image)
    assert status == 0
    assert out.splitlines() == [
        "hello from the script image", "cwd=/app/work", "mode=test", "argc=2",
        "arg=first-arg", "arg=second arg",
    ]


@pytest.mark.docker
@pytest.mark.parametrize("program, args, status, output", [
    ("/hello", [], 0, "hello from cvmify\n"),
    ("/hello-pie", [], 0, "hello from cvmify\n"),
    ("/exitcode", ["42"], 42, "exitcode: exiting with 42\n"),
    ("/segv", [], 139, "segv: about to write through NULL\n"),
])
def test_cprogs_behave(docker_client, cprogs_image, program, args, status, output):
    assert run(docker_client, cprogs_image, args, entrypoint=[program]) == (status, output)


@pytest.mark.docker
def test_cprogs_are_static_and_one_is_pie(docker_client, cprogs_image):
    tree = read_tree(docker_client, cprogs_image, "/hello")
    tree.update(read_tree(docker_client, cprogs_image, "/hello-pie"))
    kinds = {}
    for name in ("/hello", "/hello-pie"):
        elf = ELFFile(io.BytesIO(tree[name]))
        assert not any(s["p_type"] == "PT_INTERP" for s in elf.iter_segments()), name
        kinds[name] = elf["e_type"]
    assert kinds == {"/hello": "ET_EXEC", "/hello-pie": "ET_DYN"}


@pytest.mark.docker
def test_layers_image_final_tree_matches_expected(docker_client, layers_image):
    tree = read_tree(docker_client, layers_image, "/data")
    for path, want in layers.EXPECTED.items():
        got = tree[path]
        if want is None:
            assert isinstance(got, tarfile.TarInfo) and got.isdir(), path
        elif isinstance(want, str):
            assert got.issym() and got.linkname == want.removeprefix("-> "), path
        elif isinstance(got, tarfile.TarInfo):  # the second name of a hard link
            assert got.islnk() and tree["/" + got.linkname] == want, path
        else:
            assert got == want, path
    for path in layers.ABSENT:
        assert path not in tree
    assert not any(".wh." in name for name in tree)


@pytest.mark.docker
def test_layers_image_keeps_whiteouts_in_its_layer_tarballs(docker_client, layers_image):
    *_, added, deleted = saved_layers(docker_client, layers_image)
    assert any(m.name == "data/hard-b.txt" and m.islnk() for m in added)
    names = {m.name for m in deleted}
    assert {"data/.wh.gone.txt", "data/.wh.gonedir", "data/opaque/.wh..wh..opq"} <= names


@pytest.mark.docker
@pytest.mark.slow
def test_debian_image_is_bookworm_without_apt_lists_or_dev(docker_client, debian_image):
    (layer,) = saved_layers(docker_client, debian_image)
    names = {m.name.removeprefix("./") for m in layer}
    assert "etc/debian_version" in names
    assert {"dev/", "proc/", "sys/"} & {n + "/" for n in names} == {"dev/", "proc/", "sys/"}
    assert not [n for n in names if n.startswith(("dev/", "proc/", "sys/"))]
    assert not [n for n in names if n.startswith("var/lib/apt/lists/") and "Packages" in n]
    status, out = run(docker_client, debian_image, ["cat", "/etc/debian_version"])
    assert status == 0 and out.startswith("12.")


@pytest.mark.docker
@pytest.mark.slow
def test_python3_image_runs_python(docker_client, python3_image):
    assert config_of(docker_client, python3_image)["Cmd"] == ["python3"]
    argv = ["python3", "-c", "import sys; print(sys.version_info[:2])"]
    status, out = run(docker_client, python3_image, argv)
    assert (status, out) == (0, "(3, 11)\n")


@pytest.mark.docker
def test_hello_example_greets(docker_client, hello_example):
    status, out = run(docker_client, hello_example)
    assert (status, out) == (0, "Hello, world! This shell runs inside a cvmify confidential VM.\n")


@pytest.mark.docker
@pytest.mark.slow
def test_python_app_example_runs(docker_client, python_app_example):
    status, out = run(docker_client, python_app_example)
    assert status == 0
    assert out.startswith("Hello from Python 3.11")
    assert "1229 primes below 10000, the last is 9973" in out


# -- the registry -----------------------------------------------------------------


@pytest.mark.docker
def test_registry_serves_the_pushed_manifest(registry, docker_client, busybox_image):
    digest = registry.push(busybox_image, "infra/busybox", "v1")
    reply = requests.get(
        registry.url("/v2/infra/busybox/manifests/v1"),
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        timeout=30,
    )
    assert reply.status_code == 200
    assert reply.headers["Docker-Content-Digest"] == digest
    assert "sha256:" + hashlib.sha256(reply.content).hexdigest() == digest
    # The manifest names the image's config, whose digest is the image id.
    manifest = reply.json()
    assert manifest["config"]["digest"] == docker_client.images.get(busybox_image).id
    assert len(manifest["layers"]) == len(docker_client.images.get(busybox_image).attrs["RootFS"]["Layers"])


# -- the kernel -----------------------------------------------------------------------


def test_cvmify_kernel_fixture_gives_an_x86_64_elf(cvmify_kernel):
    with open(cvmify_kernel, "rb") as handle:
        assert ELFFile(handle)["e_machine"] == "EM_X86_64"


# -- mirrors and scripts ----------------------------------------------------------------


def test_mirror_from_deb822_skips_security_and_disabled(tmp_path, monkeypatch):
    monkeypatch.delenv("CVMIFY_DEBIAN_MIRROR", raising=False)
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://disabled.invalid/debian\nSuites: bookworm\n"
        "Components: main\nEnabled: no\n\n"
        "Types: deb\nURIs: http://sec.invalid/debian-security\nSuites: bookworm\n"
        "Components: main\n\n"
        "Types: deb\n# a comment\nURIs: http://good.invalid/debian\n"
        "Suites: bookworm bookworm-updates\nComponents: main contrib\n"
    )
    assert debian_mirror("bookworm", tmp_path) == "http://good.invalid/debian"


def test_mirror_from_one_line_list_with_options(tmp_path, monkeypatch):
    monkeypatch.delenv("CVMIFY_DEBIAN_MIRROR", raising=False)
    (tmp_path / "sources.list").write_text(
        "# deb http://commented.invalid/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://one.invalid/debian bookworm main\n"
    )
    assert debian_mirror("bookworm", tmp_path) == "http://one.invalid/debian"
    with pytest.raises(MirrorNotFound):
        debian_mirror("trixie", tmp_path)
    monkeypatch.setenv("CVMIFY_DEBIAN_MIRROR", "http://override.invalid/debian")
    assert debian_mirror("trixie", tmp_path) == "http://override.invalid/debian"


def test_source_parsers_keep_all_fields():
    (one,) = parse_one_line("deb-src http://x.invalid/d bookworm main non-free\n")
    assert (one.types, one.uris, one.suites, one.components) == \
        (("deb-src",), ("http://x.invalid/d",), ("bookworm",), ("main", "non-free"))
    (stanza,) = parse_deb822("Types: deb deb-src\nURIs: http://y.invalid/d\nSuites: s\n")
    assert stanza.types == ("deb", "deb-src") and stanza.components == ()


@pytest.mark.parametrize("script", ["scripts/setup.sh", "scripts/dockerd.sh",
                                    "scripts/build-example.sh", ".ci/run"])
def test_scripts_parse_and_are_executable(script):
    path = REPO_ROOT / script
    assert path.stat().st_mode & 0o111, f"{script} is not executable"
    subprocess.run(["bash", "-n", str(path)], check=True)


def _missing_packages(tmp_path, commands: dict[str, str]) -> set[str]:
    """setup.sh's missing_packages on a machine whose PATH has only
    `commands` (name -> shell script body) and where dpkg knows nothing."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name, body in {"dpkg-query": "exit 1", **commands}.items():
        (bindir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bindir / name).chmod(0o755)
    result = subprocess.run(
        ["/bin/bash", "-c", f"source {REPO_ROOT / 'scripts/setup.sh'} && missing_packages"],
        capture_output=True, text=True, env={"PATH": str(bindir)}, check=True)
    return set(result.stdout.split())


def test_setup_on_a_system_without_python_installs_venv_too(tmp_path):
    """A fresh minbase system has no python3: venv must come in the same
    apt run, or `python3 -m venv` fails with 'ensurepip is not available'."""
    missing = _missing_packages(tmp_path, {})
    assert {"python3", "python3-venv"} <= missing


def test_setup_with_python_lacking_ensurepip_installs_venv(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    missing = _missing_packages(tmp_path / "a", {"python3": "exit 1"})  # import ensurepip fails
    assert "python3-venv" in missing and "python3" not in missing
    assert "python3-venv" not in _missing_packages(tmp_path / "b", {"python3": "exit 0"})
