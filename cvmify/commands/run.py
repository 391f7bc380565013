"""`cvmify run BUNDLE`: launch a bundle under QEMU and return the app's status.

Planning (load and check the bundle, choose the accelerator, compile the
host overrides, build the argv) is separate from running, so that
`--dry-run` and the tests see exactly the argv that would run.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from cvmify.bundle import KEY_FILE, Bundle, load_bundle
from cvmify.errors import BadBundleError, LaunchError, UsageError
from cvmify.launch.accel import Prober, choose_accel, probe_kvm
from cvmify.launch.ports import NetSpec, net_spec
from cvmify.launch.qemu import (
    MODES, TD_MODES, Accel, Consoles, FwCfg, VmSpec, build_argv, check_cpus, parse_memory, shell_line,
)
from cvmify.launch.signals import DEFAULT_STOP_TIMEOUT
from cvmify.launch.trace import format_trace

log = logging.getLogger(__name__)

RUN_KEY_WARNING = (
    "VM mode: the host hands the development disk key to the guest over fw_cfg; "
    "this run is NOT confidential"
)
TDX_ACCEL = Accel("kvm", "host")
DRY_RUN_CONSOLES = Consoles(com2="/dev/stderr", com3="/dev/stderr", control="null")
OVERRIDES_FILE = "overrides.bin"
KBS_SOCKET = "kbs.sock"


@dataclass
class RunOptions:
    memory: str | None = None  # None: the manifest's sys.memory, else DEFAULT_MEMORY
    cpus: int | None = None  # None: the manifest's sys.cpus, else 1
    accel: str = "auto"  # auto | kvm | tcg
    mode: str = "vm"  # MODES: vm | td-vm | tdx
    trace: bool = False
    env: list[str] = field(default_factory=list)  # "K=V" from -e
    args: list[str] = field(default_factory=list)  # after `--`
    kbs: str | None = None  # key broker URL (tdx, tdx-sim)
    volumes: list[str] = field(default_factory=list)  # -v specs
    mounts: list[str] = field(default_factory=list)  # --mount specs
    network: str = "user"  # user | none
    publish: list[str] = field(default_factory=list)  # -p specs
    publish_all: bool = False  # -P
    env_files: list[Path] = field(default_factory=list)  # --env-file
    entrypoint: str | None = None  # --entrypoint
    workdir: str | None = None  # -w
    user: str | None = None  # -u
    tmpfs: list[str] = field(default_factory=list)  # --tmpfs PATH[:OPTIONS]
    read_only: bool = False  # --read-only
    interactive: bool = False  # -i: attach our stdin
    tty: bool = False  # -t: the app gets a terminal
    stop_timeout: float = DEFAULT_STOP_TIMEOUT  # seconds after a forwarded SIGTERM/SIGINT
    name: str | None = None  # --name: a container `cvmify ps/logs/stop/rm` know
    detach: bool = False  # -d


@dataclass
class RunPlan:
    bundle: Bundle
    mode: str
    accel: Accel
    memory: str
    cpus: int
    overrides: bytes  # empty: none
    trace: bool
    host_problems: list[str] = field(default_factory=list)  # --mode tdx: what this host lacks
    kbs: str | None = None  # key broker URL: the relay runs (tdx, tdx-sim)
    volumes: list = field(default_factory=list)  # cvmify.volume.mounts.VolumeMount, checked
    volume_launch: Any = None  # cvmify.volume.attach.VolumeLaunch while the volumes are held
    override_request: Any = None  # (HostRequest, policy): the overrides again, with VOLUME records
    interactive: bool = False
    tty: tuple[int, int] | None = None  # -t: the terminal's (rows, columns) at start
    stop_timeout: float = DEFAULT_STOP_TIMEOUT
    stop_signal: str = "SIGTERM"  # the image's STOPSIGNAL, for `cvmify stop`
    network: NetSpec | None = None  # None: no network device (--network none)

    def spec(self, consoles: Consoles, rundir: Path | None) -> VmSpec:
        td = self.mode in TD_MODES
        # td.fd carries the measured config itself; only VM modes get the
        # development key from the host.
        files = [] if td else [FwCfg("opt/cvmify/config", file=self.bundle.file("config.bin"))]
        if self.mode in ("vm", "td-vm"):
            files.append(FwCfg("opt/cvmify/disk-key", file=self.bundle.file(KEY_FILE)))
        if self.overrides:
            assert rundir is not None
            files.append(FwCfg("opt/cvmify/overrides", file=rundir / OVERRIDES_FILE))
        if self.trace:
            files.append(FwCfg("opt/cvmify/trace", string="1"))
        if self.tty is not None:
            files.append(FwCfg("opt/cvmify/tty", string=f"{self.tty[0]} {self.tty[1]}"))
        if self.interactive:
            files.append(FwCfg("opt/cvmify/control-stdin", string="1"))
        drives: tuple = ()
        if self.volume_launch is not None and self.volume_launch.drives:
            from cvmify.volume import attach

            assert rundir is not None
            files.append(FwCfg(attach.KEYS_FW_CFG, file=rundir / attach.KEY_FILE))
            drives = tuple((d.path, d.read_only) for d in self.volume_launch.drives)
        return VmSpec(
            kernel=self.bundle.file("kernel.elf"),
            memory=self.memory,
            cpus=self.cpus,
            accel=self.accel,
            consoles=consoles,
            fw_cfg=tuple(files),
            disk=self.bundle.file("rootfs.img"),
            firmware=self.bundle.file("td.fd") if td else None,
            kbs_socket=rundir / KBS_SOCKET if self.kbs and rundir is not None else None,
            volumes=drives,
            network=self.network,
        )

    def argv(self, qemu: str, consoles: Consoles, rundir: Path | None) -> list[str]:
        return build_argv(self.mode, qemu, self.spec(consoles, rundir))


@dataclass
class RunResult:
    status: int  # what `cvmify run` exits with
    command: str | None = None  # --dry-run: the shell line
    syscalls: list[str] = field(default_factory=list)  # --trace summary
    warnings: list[str] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        return format_trace(self.syscalls)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "command": self.command, "syscalls": self.syscalls}

    def text_lines(self) -> list[str]:
        return [self.command] if self.command is not None else []


DEFAULT_MEMORY = "512M"


def bundle_manifest(bundle: Bundle) -> dict:
    try:
        return tomllib.loads(bundle.file("manifest.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadBundleError(f"{bundle.file('manifest.toml')}: unreadable manifest: {exc}") from None


def manifest_vm_defaults(bundle: Bundle) -> tuple[str, int]:
    """(memory, cpus) from the bundle's manifest [sys] table, with fallbacks."""
    manifest = bundle_manifest(bundle)
    sys_table = manifest.get("sys", {})
    memory = sys_table.get("memory", DEFAULT_MEMORY)
    cpus = sys_table.get("cpus", 1)
    if not isinstance(memory, str) or not isinstance(cpus, int) or isinstance(cpus, bool):
        raise BadBundleError(f"{bundle.file('manifest.toml')}: sys.memory / sys.cpus have the wrong type")
    return memory, cpus


def manifest_exposed_ports(bundle: Bundle) -> list[str]:
    """image.exposed_ports from the bundle's manifest (for -P)."""
    ports = bundle_manifest(bundle).get("image", {}).get("exposed_ports", [])
    if not isinstance(ports, list) or not all(isinstance(p, str) for p in ports):
        raise BadBundleError(f"{bundle.file('manifest.toml')}: image.exposed_ports is not a list of strings")
    return ports


def plan_run(path: Path, opts: RunOptions, qemu: str, cache_dir: Path, prober: Prober = probe_kvm,
             terminal_size: tuple[int, int] = (0, 0)) -> RunPlan:
    """`terminal_size`: the host terminal's (rows, columns) for -t."""
    from cvmify.commands.run_env import collect_env
    from cvmify.manifest.bootconfig import parse_boot_config
    from cvmify.manifest.overrides import HostRequest, compile_overrides
    from cvmify.manifest.tmpfs import parse_tmpfs_spec

    if opts.mode not in MODES:
        raise UsageError(f"--mode {opts.mode!r}: expected one of {', '.join(MODES)}")
    if opts.stop_timeout < 0:
        raise UsageError(f"--stop-timeout {opts.stop_timeout:g}: expected a number of seconds >= 0")
    if opts.detach and opts.interactive:
        raise UsageError("-d with -i: cvmify cannot attach to a detached container's stdin")
    request = HostRequest(list(opts.args), collect_env(opts.env, opts.env_files, os.environ),
                          opts.entrypoint, opts.workdir, opts.user, [parse_tmpfs_spec(t) for t in opts.tmpfs],
                          opts.read_only)
    bundle = load_bundle(path.absolute())  # absolute: the dry-run line works from anywhere
    default_memory, default_cpus = manifest_vm_defaults(bundle)
    memory = parse_memory(opts.memory if opts.memory is not None else default_memory)
    cpus = check_cpus(opts.cpus if opts.cpus is not None else default_cpus)
    policy = parse_boot_config(bundle.file("config.bin").read_bytes())
    overrides = compile_overrides(request, policy)
    exposed = manifest_exposed_ports(bundle) if opts.publish_all else []
    network = net_spec(opts.network, opts.publish, opts.publish_all, exposed, policy.net, os.geteuid())
    volumes = parse_volume_flags(opts, policy.allow_host_volumes)
    for mount in request.tmpfs:
        if any(v.target == mount.path for v in volumes):
            raise UsageError(f"--tmpfs {mount.path}: a volume is mounted there too")
    if opts.mode in TD_MODES and not bundle.has_td_fd:
        raise BadBundleError(f"{path}: no td.fd; rebuild it with this cvmify to use --mode {opts.mode}")
    attested = opts.mode in ("tdx", "tdx-sim")
    if not attested and not bundle.index.dev_key:
        raise BadBundleError(f"{path}: has no development key; run it as a TD (--mode tdx or tdx-sim with --kbs)")
    if attested and not opts.kbs:
        raise UsageError(f"--mode {opts.mode} needs --kbs URL: the disk key comes from a key broker")
    if opts.kbs and not attested:
        raise UsageError("--kbs is for --mode tdx and tdx-sim; the other modes use the development key")
    docker = dict(interactive=opts.interactive, tty=terminal_size if opts.tty else None,
                  stop_timeout=opts.stop_timeout,
                  stop_signal=str(bundle_manifest(bundle).get("image", {}).get("stop_signal", "SIGTERM")))
    if opts.mode == "tdx":
        from cvmify.launch.tdx import probe_host

        return RunPlan(bundle, opts.mode, TDX_ACCEL, memory, cpus, overrides, opts.trace,
                       host_problems=probe_host(qemu).missing(), kbs=opts.kbs, network=network, **docker)
    accel = choose_accel(opts.accel, qemu, bundle.file("kernel.elf"), cache_dir, prober)
    log.info("accelerator: %s (-cpu %s)", accel.name, accel.cpu)
    plan = RunPlan(bundle, opts.mode, accel, memory, cpus, overrides, opts.trace, kbs=opts.kbs,
                   volumes=volumes, network=network, **docker)
    plan.override_request = (request, policy)
    return plan


def parse_volume_flags(opts: RunOptions, allowed: list[str]) -> list:
    """-v and --mount, checked against the bundle's policy and the mode
    before anything is created or locked."""
    if not opts.volumes and not opts.mounts:
        return []
    from cvmify.volume.attach import check_request
    from cvmify.volume.mounts import parse_mount_flag, parse_volume_flag

    mounts = [parse_volume_flag(v) for v in opts.volumes] + [parse_mount_flag(m) for m in opts.mounts]
    check_request(mounts, allowed, opts.mode)
    return mounts


@contextmanager
def held_volumes(plan: RunPlan) -> Iterator[None]:
    """Hold the plan's volumes for the run (VolumeStore.attach) and put
    their VOLUME records into the overrides."""
    if not plan.volumes:
        yield
        return
    import dataclasses

    from cvmify import paths
    from cvmify.manifest.overrides import compile_overrides
    from cvmify.volume.attach import attach_volumes
    from cvmify.volume.registry import VolumeStore

    request, policy = plan.override_request
    with attach_volumes(VolumeStore(paths.state_dir()), plan.volumes, policy.allow_host_volumes,
                        plan.mode) as launch:
        plan.volume_launch = launch
        plan.overrides = compile_overrides(dataclasses.replace(request, volumes=list(launch.records)), policy)
        try:
            yield
        finally:
            plan.volume_launch = None


SIM_WARNING = ("tdx-sim mode: attestation is SIMULATED (a plain VM and a development quoting key); "
               "this run is NOT confidential")


def run_warning(plan: RunPlan) -> str | None:
    """The one warning every run of this mode prints first, if any."""
    if plan.mode == "tdx-sim":
        return SIM_WARNING
    return RUN_KEY_WARNING if plan.mode in ("vm", "td-vm") else None


def host_problem_line(plan: RunPlan) -> str:
    return "this host cannot run a TD: " + "; ".join(plan.host_problems)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _make_rundir(plan: RunPlan) -> Path | None:
    """A private directory for files QEMU reads that are not in the bundle
    (the overrides, the volume keys) and for the key-release relay's socket."""
    if not plan.overrides and not plan.kbs:
        return None
    rundir = Path(tempfile.mkdtemp(prefix="cvmify-run-"))
    if plan.overrides:
        _write_private(rundir / OVERRIDES_FILE, plan.overrides)
    if plan.volume_launch is not None and plan.volume_launch.keys:
        from cvmify.volume import attach

        _write_private(rundir / attach.KEY_FILE, plan.volume_launch.keys)
    return rundir


def _fileno(stream) -> int | None:
    try:
        return stream.fileno() if stream is not None else None
    except (OSError, ValueError, AttributeError):
        return None


def check_terminal(opts: RunOptions, stdin) -> None:
    """-t -i needs a terminal on stdin, as with docker."""
    fd = _fileno(stdin)
    if opts.tty and opts.interactive and (fd is None or not os.isatty(fd)):
        raise UsageError("the input device is not a TTY (-t -i needs a terminal on stdin; drop -t)")


def terminal_size(stdout) -> tuple[int, int]:
    """The host terminal's size for -t: stdout's, or (0, 0) as docker."""
    from cvmify.launch.terminal import window_size

    fd = _fileno(stdout)
    return window_size(fd) if fd is not None else (0, 0)


def dry_run(plan: RunPlan, qemu: str) -> RunResult:
    """The command line that would run. Files it needs (overrides, volume
    keys) are kept; volumes are created if missing, their state as of now."""
    with held_volumes(plan):
        rundir = _make_rundir(plan)
        command = shell_line(plan.argv(qemu, DRY_RUN_CONSOLES, rundir))
    warnings = [host_problem_line(plan)] if plan.host_problems else []
    if rundir is not None:
        warnings.append(f"dry run: the run directory {rundir} is kept; delete it when done")
    return RunResult(status=0, command=command, warnings=warnings)


def run_plan(
    plan: RunPlan,
    qemu: str,
    stdin: BinaryIO | None,
    stdout: BinaryIO,
    stderr: BinaryIO,
    timeout: float | None = None,
) -> RunResult:
    """Run the plan. `stdin` is relayed only with -i (plan.interactive).
    Signals sent to us go to the app meanwhile (docker's sig-proxy); with
    -t the host terminal's size follows, and with -t -i it is in raw mode."""
    from cvmify.launch.runner import Session, app_status, run_qemu
    from cvmify.launch.signals import SignalProxy
    from cvmify.launch.terminal import raw_mode, window_size

    if plan.host_problems:
        raise LaunchError(host_problem_line(plan))
    from cvmify import paths
    from cvmify.kbs.launch import kbs_relay

    stdin_fd, stdout_fd = _fileno(stdin), _fileno(stdout)
    proxy = SignalProxy(winch=plan.tty is not None)
    size = None
    if plan.tty is not None:
        size = lambda: window_size(stdout_fd) if stdout_fd is not None else (0, 0)  # noqa: E731
    session = Session(proxy, plan.stop_timeout, size)
    with held_volumes(plan):
        rundir = _make_rundir(plan)
        proxy.install()
        try:
            with kbs_relay(plan.kbs, rundir, plan.bundle.file("td.fd"), plan.mode == "tdx-sim",
                           paths.sim_key_path()), \
                    raw_mode(stdin_fd if plan.tty is not None and plan.interactive else None):
                run = run_qemu(lambda consoles: plan.argv(qemu, consoles, rundir),
                               stdin if plan.interactive else None, stdout, stderr, timeout, session)
        finally:
            proxy.restore()
            if rundir is not None:
                shutil.rmtree(rundir, ignore_errors=True)
    status = app_status(run)
    return RunResult(status=status, syscalls=list(run.control.syscalls))


def launch(plan: RunPlan, opts: RunOptions, qemu: str, state_dir: Path, command: list[str],
           stdin: BinaryIO | None, stdout: BinaryIO, stderr: BinaryIO):
    """Run in the foreground (RunResult), or as a container: --name makes
    the run one `cvmify ps` lists, -d detaches it (DetachedResult)."""
    if not opts.detach and opts.name is None:
        return run_plan(plan, qemu, stdin, stdout, stderr)
    from cvmify.commands import supervise
    from cvmify.containers.store import Store

    store = Store(state_dir)
    container = store.create(opts.name, plan.bundle.path, command, opts.detach, plan.stop_timeout, plan.stop_signal)

    def run(out: BinaryIO, err: BinaryIO) -> int:
        result = run_plan(plan, qemu, None if opts.detach else stdin, out, err)
        for line in result.notes:
            err.write((line + "\n").encode())
        return result.status

    if opts.detach:
        return supervise.start_detached(store, container, run)
    return RunResult(status=supervise.supervise_foreground(store, container, stdout, stderr, run))
