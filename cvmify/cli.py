"""The command line: parse flags, call one library function, render the result.

Errors are caught once, in `CvmifyGroup.invoke`: a CvmifyError becomes one
line `cvmify: error: ...` on stderr (plus the JSON envelope with --json)
and its exit code; anything else is an internal error, with a traceback
only under --debug. Ctrl-C exits 130.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from cvmify import __version__, paths
from cvmify.commands.run import (
    RunOptions, check_terminal, dry_run, launch, plan_run, run_warning, terminal_size,
)
from cvmify.errors import ExitCode, UsageError
from cvmify.launch.ports import mapping_lines
from cvmify.launch.signals import DEFAULT_STOP_TIMEOUT
from cvmify.result import CommandResult, render_error, render_success, warning_line


# The other commands load their modules when called, so that `cvmify run`
# (whose start-up the boot benchmark counts) does not import the build
# pipeline. Tests patch these names.
def build_bundle(*args, **kwargs):
    from cvmify.commands.build import build

    return build(*args, **kwargs)


def source_date_epoch(environ):
    from cvmify.commands.build import source_date_epoch as parse

    return parse(environ)


def inspect_bundle(*args, **kwargs):
    from cvmify.commands.inspect import inspect_bundle as inspect

    return inspect(*args, **kwargs)


def show_manifest(*args, **kwargs):
    from cvmify.commands.manifest import show_manifest as show

    return show(*args, **kwargs)


def measure_bundle(*args, **kwargs):
    from cvmify.commands.measure import measure_bundle as measure

    return measure(*args, **kwargs)


def verify_quote(*args, **kwargs):
    from cvmify.commands.verify import verify_quote as verify

    return verify(*args, **kwargs)


@dataclass
class CliState:
    debug: bool = False
    json: bool = False


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"cvmify: {record.levelname.lower()}: {record.getMessage()}" + (
            "\n" + self.formatException(record.exc_info) if record.exc_info else ""
        )


def setup_logging(verbose: int, debug: bool) -> None:
    level = logging.DEBUG if debug or verbose >= 2 else logging.INFO if verbose == 1 else logging.WARNING
    logger = logging.getLogger("cvmify")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    logger.addHandler(handler)
    logger.setLevel(level)


class CvmifyGroup(TyperGroup):
    """The one place where exceptions become messages and exit codes."""

    def invoke(self, ctx: typer.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except (Exception, KeyboardInterrupt) as error:
            state = ctx.obj if isinstance(ctx.obj, CliState) else CliState()
            if state.debug and not isinstance(error, KeyboardInterrupt):
                traceback.print_exc(file=sys.stderr)
            code = render_error(ctx.invoked_subcommand or "", error, state.json, sys.stdout, sys.stderr)
            raise typer.Exit(code) from None


app = typer.Typer(
    cls=CvmifyGroup,
    name="cvmify",
    help="Turn a container image into a confidential VM bundle, and run it.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cvmify {__version__}")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def main_options(
    ctx: typer.Context,
    verbose: Annotated[int, typer.Option("-v", "--verbose", count=True, help="More logging (-vv for debug).")] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Debug logging and tracebacks.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    ctx.obj = CliState(debug=debug)
    setup_logging(verbose, debug)


def _state(ctx: typer.Context, as_json: bool) -> CliState:
    state = ctx.find_root().obj
    if not isinstance(state, CliState):
        state = ctx.find_root().obj = CliState()
    state.json = as_json
    return state


def _render(ctx: typer.Context, result: CommandResult, as_json: bool) -> None:
    render_success(ctx.info_name or "", result, as_json, sys.stdout, sys.stderr)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as a JSON envelope.")]
ManifestOpt = Annotated[Optional[Path], typer.Option("--manifest", help="A TOML manifest merged over the inferred one.")]


@app.command()
def build(
    ctx: typer.Context,
    image: Annotated[str, typer.Argument(help="Image reference, e.g. docker-daemon:NAME:TAG or oci:DIR.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The bundle directory to create.")],
    manifest: ManifestOpt = None,
    key: Annotated[Optional[Path], typer.Option("--key", help="Disk key: 32 raw bytes or 64 hex digits.")] = None,
    kernel: Annotated[Optional[Path], typer.Option("--kernel", help="The cvmify kernel ELF.")] = None,
    td_kernel: Annotated[
        Optional[Path], typer.Option("--td-kernel", help="The TDX kernel ELF that td.fd carries.")
    ] = None,
    no_dev_key: Annotated[
        bool, typer.Option("--no-dev-key", help="No disk-key.dev: only a TD with a key broker can run it.")
    ] = False,
    key_out: Annotated[
        Optional[Path], typer.Option("--key-out", help="With --no-dev-key: write the disk key here (0600).")
    ] = None,
    as_json: JsonOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing bundle.")] = False,
) -> None:
    """Build a bundle from a container image."""
    _state(ctx, as_json)
    kernel_elf = paths.kernel_path(kernel)
    result = build_bundle(
        image,
        output,
        kernel=kernel_elf,
        td_kernel=paths.td_kernel_path(td_kernel, kernel_elf),
        **({"dev_key": not no_dev_key, "key_out": key_out} if no_dev_key or key_out else {}),
        manifest_file=manifest,
        key_file=key,
        force=force,
        epoch=source_date_epoch(os.environ),
    )
    _render(ctx, result, as_json)


@app.command("manifest")
def manifest_cmd(
    ctx: typer.Context,
    image: Annotated[str, typer.Argument(help="Image reference.")],
    manifest: ManifestOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the final manifest (TOML) for an image; build nothing."""
    _state(ctx, as_json)
    _render(ctx, show_manifest(image, manifest), as_json)


@app.command()
def inspect(
    ctx: typer.Context,
    bundle: Annotated[Path, typer.Argument(help="The bundle directory.")],
    verify: Annotated[bool, typer.Option("--verify", help="Check every hash, block and measurement.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show a bundle's summary and files; --verify checks its integrity."""
    _state(ctx, as_json)
    _render(ctx, inspect_bundle(bundle, verify=verify), as_json)


@app.command()
def measure(
    ctx: typer.Context,
    bundle: Annotated[Path, typer.Argument(help="The bundle directory.")],
    mrtd_order: Annotated[
        str, typer.Option("--mrtd-order", help="single (upstream KVM) or two-pass (QEMU 8.x-era TDX).")
    ] = "single",
    as_json: JsonOpt = False,
) -> None:
    """Recompute a bundle's expected launch measurements (MRTD, RTMRs with td.fd)."""
    _state(ctx, as_json)
    _render(ctx, measure_bundle(bundle, mrtd_order=mrtd_order), as_json)


@app.command()
def verify(
    ctx: typer.Context,
    quote: Annotated[Path, typer.Argument(help="The quote (TDX v4/v5, or simulated).")],
    bundle: Annotated[Optional[Path], typer.Option("--bundle", help="Expect this bundle's measurements.")] = None,
    reference: Annotated[
        Optional[Path], typer.Option("--reference", help="Expected values as JSON (mrtd, rtmr0-3, mrconfigid).")
    ] = None,
    collateral: Annotated[Optional[Path], typer.Option("--collateral", help="DCAP collateral JSON.")] = None,
    root_ca: Annotated[Optional[Path], typer.Option("--root-ca", help="Root CA (DER) instead of Intel's.")] = None,
    at: Annotated[Optional[str], typer.Option("--at", help="Verification time (ISO 8601 or Unix seconds).")] = None,
    report_data: Annotated[Optional[str], typer.Option("--report-data", help="Expected REPORTDATA (hex).")] = None,
    event_log: Annotated[Optional[Path], typer.Option("--event-log", help="CCEL/TCG2 log to replay.")] = None,
    accept_tcb: Annotated[
        Optional[list[str]], typer.Option("--accept-tcb", help="Also accept this TCB status (repeatable).")
    ] = None,
    allow_simulated: Annotated[
        bool, typer.Option("--allow-simulated", help="Accept simulated quotes (development only).")
    ] = False,
    sim_key: Annotated[Optional[Path], typer.Option("--sim-key", help="Development key for simulated quotes.")] = None,
    mrtd_order: Annotated[str, typer.Option("--mrtd-order", help="single or two-pass.")] = "single",
    as_json: JsonOpt = False,
) -> None:
    """Verify a TD quote: DCAP chain, then the bundle's measurements and policy."""
    from cvmify.commands.verify import VerifyOptions

    _state(ctx, as_json)
    options = VerifyOptions(
        bundle=bundle, reference=reference, collateral=collateral, root_ca=root_ca, at=at,
        report_data=report_data, event_log=event_log, accept_tcb=list(accept_tcb or []),
        allow_simulated=allow_simulated, sim_key=sim_key, mrtd_order=mrtd_order,
    )
    _render(ctx, verify_quote(quote, options, paths.sim_key_path()), as_json)


kbs_app = typer.Typer(help="The key broker for TDs (development and CI).", no_args_is_help=True)
app.add_typer(kbs_app, name="kbs")


@kbs_app.command("serve")
def kbs_serve(
    ctx: typer.Context,
    bundle: Annotated[list[Path], typer.Option("--bundle", help="Serve this bundle's disk key (repeatable).")],
    key: Annotated[
        Optional[list[Path]], typer.Option("--key", help="Its disk key, per --bundle [default: the bundle's dev key].")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0: any free one).")] = 0,
    allow_simulated: Annotated[
        bool, typer.Option("--allow-simulated", help="Accept simulated quotes (development only).")
    ] = False,
    sim_key: Annotated[Optional[Path], typer.Option("--sim-key", help="Development key for simulated quotes.")] = None,
    collateral: Annotated[Optional[Path], typer.Option("--collateral", help="DCAP collateral JSON.")] = None,
    root_ca: Annotated[Optional[Path], typer.Option("--root-ca", help="Root CA (DER) instead of Intel's.")] = None,
    accept_tcb: Annotated[
        Optional[list[str]], typer.Option("--accept-tcb", help="Also accept this TCB status (repeatable).")
    ] = None,
    mrtd_order: Annotated[str, typer.Option("--mrtd-order", help="single or two-pass.")] = "single",
) -> None:
    """Release bundles' disk keys to TDs whose quotes match them."""
    from cvmify.commands.kbs import ServeOptions, serve

    _state(ctx, False)
    serve(ServeOptions(bundles=bundle, keys=list(key or []), host=host, port=port, allow_simulated=allow_simulated,
                       sim_key=sim_key, collateral=collateral, root_ca=root_ca, accept_tcb=list(accept_tcb or []),
                       mrtd_order=mrtd_order), paths.sim_key_path())


volume_app = typer.Typer(help="Persistent encrypted volumes (docs/volumes.md).", no_args_is_help=True)
app.add_typer(volume_app, name="volume")


def _volume_store():
    from cvmify.volume.registry import VolumeStore

    return VolumeStore(paths.state_dir())


@volume_app.command("create")
def volume_create(
    ctx: typer.Context,
    name: Annotated[Optional[str], typer.Argument(help="The volume's name [default: a random one].")] = None,
    size: Annotated[Optional[str], typer.Option("--size", help="Capacity, e.g. 512M, 10G [default: 1G].")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a volume (an existing one of that name is returned as is)."""
    from cvmify.commands.volume import create_volume

    _state(ctx, as_json)
    _render(ctx, create_volume(_volume_store(), name, size), as_json)


@volume_app.command("ls")
def volume_ls(
    ctx: typer.Context,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only the names.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List volumes."""
    from cvmify.commands.volume import list_volumes

    _state(ctx, as_json)
    _render(ctx, list_volumes(_volume_store(), quiet), as_json)


@volume_app.command("rm")
def volume_rm(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="Volumes to remove.")],
    force: Annotated[bool, typer.Option("-f", "--force", help="No error for a missing volume.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove volumes (never one in use by a running container)."""
    from cvmify.commands.volume import remove_volumes

    _state(ctx, as_json)
    _render(ctx, remove_volumes(_volume_store(), names, force), as_json)


@volume_app.command("inspect")
def volume_inspect(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="Volumes to show.")],
    verify: Annotated[bool, typer.Option("--verify", help="Authenticate every block and check the state.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show volumes in detail; --verify checks their integrity."""
    from cvmify.commands.volume import inspect_volumes

    _state(ctx, as_json)
    _render(ctx, inspect_volumes(_volume_store(), names, verify), as_json)


@app.command()
def run(
    ctx: typer.Context,
    bundle: Annotated[Path, typer.Argument(help="The bundle directory.")],
    args: Annotated[Optional[list[str]], typer.Argument(help="Extra app arguments (after --), if the manifest allows.")] = None,
    memory: Annotated[
        Optional[str], typer.Option("--memory", help="Guest memory, e.g. 512M, 2G [default: the manifest's sys.memory].")
    ] = None,
    cpus: Annotated[Optional[int], typer.Option("--cpus", help="Virtual CPUs [default: the manifest's sys.cpus].")] = None,
    accel: Annotated[str, typer.Option("--accel", help="auto, kvm or tcg.")] = "auto",
    mode: Annotated[
        str, typer.Option("--mode", help="vm (microvm), td-vm (td.fd as a plain q35 VM), tdx-sim (the same with "
                          "simulated attestation and a key broker) or tdx (a TD; never run).")
    ] = "vm",
    dry_run_: Annotated[bool, typer.Option("--dry-run", help="Print the QEMU command line; run nothing.")] = False,
    trace: Annotated[bool, typer.Option("--trace", help="Print the guest's syscall summary on exit.")] = False,
    env: Annotated[Optional[list[str]], typer.Option("-e", "--env", help="NAME=VALUE, if the manifest allows.")] = None,
    env_file: Annotated[Optional[list[Path]], typer.Option("--env-file", help="A file of NAME=VALUE lines.")] = None,
    entrypoint: Annotated[Optional[str], typer.Option("--entrypoint", help="Run this program instead.")] = None,
    workdir: Annotated[Optional[str], typer.Option("-w", "--workdir", help="The app's working directory.")] = None,
    user: Annotated[Optional[str], typer.Option("-u", "--user", help="NAME, UID or UID:GID to run as.")] = None,
    tmpfs: Annotated[Optional[list[str]], typer.Option("--tmpfs", help="Mount a tmpfs: PATH[:OPTIONS].")] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="The app's root filesystem is read-only.")] = False,
    interactive: Annotated[bool, typer.Option("-i", "--interactive", help="Keep stdin open: the app reads ours.")] = False,
    tty: Annotated[bool, typer.Option("-t", "--tty", help="Give the app a terminal.")] = False,
    stop_timeout: Annotated[
        float, typer.Option("--stop-timeout", help="Seconds the app has to exit after a forwarded SIGTERM/SIGINT.")
    ] = DEFAULT_STOP_TIMEOUT,
    name: Annotated[Optional[str], typer.Option("--name", help="Name the container (cvmify ps/logs/stop/rm).")] = None,
    detach: Annotated[bool, typer.Option("-d", "--detach", help="Run in the background; print the container id.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With -d: print the result as a JSON envelope.")] = False,
    kbs: Annotated[
        Optional[str], typer.Option("--kbs", help="Key broker URL (--mode tdx and tdx-sim).")
    ] = None,
    volume: Annotated[
        Optional[list[str]], typer.Option("-v", "--volume", help="NAME:/path[:ro], a persistent volume (created if missing).")
    ] = None,
    mount: Annotated[
        Optional[list[str]], typer.Option("--mount", help="type=volume,source=NAME,target=/path[,readonly].")
    ] = None,
    publish: Annotated[
        Optional[list[str]], typer.Option("-p", "--publish", help="[HOSTIP:][HOSTPORT:]GUESTPORT[/tcp|/udp]: "
                                          "forward a host port to the guest; HOSTIP defaults to 127.0.0.1 "
                                          "(not all interfaces, unlike docker).")
    ] = None,
    publish_all: Annotated[
        bool, typer.Option("-P", "--publish-all", help="Publish every port the image EXPOSEs on a free "
                           "port of 127.0.0.1; the mapping is printed.")
    ] = False,
    network: Annotated[
        str, typer.Option("--network", help="user (QEMU user networking: egress, -p) or none (no network "
                          "device).")
    ] = "user",
) -> None:
    """Run a bundle under QEMU; exit with the app's status."""
    _state(ctx, as_json)
    if as_json and not detach:
        raise UsageError("--json needs -d: in the foreground stdout is the app's")
    options = RunOptions(
        memory=memory, cpus=cpus, accel=accel, mode=mode, trace=trace, env=list(env or []), args=list(args or []),
        interactive=interactive, tty=tty, stop_timeout=stop_timeout, env_files=list(env_file or []),
        entrypoint=entrypoint, workdir=workdir, user=user, tmpfs=list(tmpfs or []), name=name, detach=detach,
        read_only=read_only,
        kbs=kbs, volumes=list(volume or []), mounts=list(mount or []),
        network=network, publish=list(publish or []), publish_all=publish_all,
    )
    qemu = paths.qemu_binary()
    check_terminal(options, sys.stdin)
    plan = plan_run(bundle, options, qemu, paths.cache_dir(), terminal_size=terminal_size(sys.stdout))
    warning = run_warning(plan)
    if warning:
        sys.stderr.write(warning_line(warning) + "\n")
    for line in mapping_lines(plan.network):
        sys.stderr.write(f"cvmify: {line}\n")
    sys.stderr.flush()
    if dry_run_:
        _render(ctx, dry_run(plan, qemu), False)
        return
    stdin = getattr(sys.stdin, "buffer", None)  # None when started without a stdin
    result = launch(plan, options, qemu, paths.state_dir(), sys.argv[1:], stdin, sys.stdout.buffer,
                    sys.stderr.buffer)
    _render(ctx, result, as_json)
    raise typer.Exit(result.status)


def _command(name: str):
    """These commands load their modules when called (cvmify run's start-up
    stays small)."""
    import importlib

    return importlib.import_module(f"cvmify.commands.{name}")


@app.command()
def ps(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("-a", "--all", help="Ended containers too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List containers (runs with --name or -d)."""
    _state(ctx, as_json)
    _render(ctx, _command("ps").list_containers(paths.state_dir(), all_), as_json)


@app.command()
def logs(
    ctx: typer.Context,
    container: Annotated[str, typer.Argument(help="Name, id or id prefix.")],
    follow: Annotated[bool, typer.Option("-f", "--follow", help="Keep printing until the container ends.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Print a container's stdout and stderr."""
    _state(ctx, as_json)
    module = _command("logs")
    if as_json:
        _render(ctx, module.read_logs(paths.state_dir(), container), True)
        return
    _render(ctx, module.show_logs(paths.state_dir(), container, sys.stdout.buffer, sys.stderr.buffer, follow), False)


@app.command()
def stop(
    ctx: typer.Context,
    containers: Annotated[list[str], typer.Argument(help="Names, ids or id prefixes.")],
    timeout: Annotated[Optional[float], typer.Option("-t", "--time", help="Seconds before the VM is killed.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Stop containers: their stop signal, then the VM is killed after the timeout."""
    _state(ctx, as_json)
    _render(ctx, _command("stop").stop_containers(paths.state_dir(), containers, timeout), as_json)


@app.command()
def rm(
    ctx: typer.Context,
    containers: Annotated[list[str], typer.Argument(help="Names, ids or id prefixes.")],
    force: Annotated[bool, typer.Option("-f", "--force", help="Kill running ones first.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove ended containers and their logs."""
    _state(ctx, as_json)
    _render(ctx, _command("rm").remove_containers(paths.state_dir(), containers, force), as_json)


@app.command("version")
def version_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Show the version and the kernel (with its SHA-384) bundles get."""
    _state(ctx, as_json)
    _render(ctx, _command("version").version_info(), as_json)


@app.command()
def doctor(
    ctx: typer.Context,
    no_probe: Annotated[bool, typer.Option("--no-probe", help="Do not boot a guest to test KVM.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check this machine for cvmify: what is there, what is missing, the fix."""
    _state(ctx, as_json)
    result = _command("doctor").run_doctor(paths.qemu_binary(), paths.cache_dir(), probe_kvm=not no_probe)
    _render(ctx, result, as_json)
    raise typer.Exit(result.status)


def _only_invoked_command(argv: list[str]) -> None:
    """Keep only the command argv names, if it names one: typer builds
    every registered command's parameters on each call, which cost
    `cvmify run` about 25 ms of its start-up (docs/benchmarks.md, Boot).
    Without a known command (help, a typo) they all stay."""
    name = next((a for a in argv if not a.startswith("-")), None)
    commands = [c for c in app.registered_commands
                if (c.name or c.callback.__name__.lower().replace("_", "-")) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if commands or groups:
        app.registered_commands, app.registered_groups = commands, groups


def main() -> None:
    _only_invoked_command(sys.argv[1:])
    app(prog_name="cvmify")
