"""Network benchmark (issue 6): servers inside cvmify and inside a Linux
guest, driven from the host through QEMU user networking, interleaved.

Servers (the netservers test image: Debian's nginx-light and redis-server
on the python3 image):
- nginx (tests/images/netservers/nginx.conf: one worker, sendfile,
  keep-alive), loaded with wrk: a small page (/index.html, 50
  connections) and a 1 MiB file (/1m.bin, 4 connections);
- redis-server (no persistence), loaded with redis-benchmark: SET and
  GET, 50 clients (--redis-clients). redis-benchmark opens them all at
  once; QEMU's user networking accepts host connections with a listen
  backlog of 1, so on a slow host some connects are reset by the host
  before any guest sees them (both guests alike): then use fewer.

Guests, on the same QEMU, machine type (microvm), accelerator, memory,
vCPUs (one: linux_guest.qemu_argv's) and network (user networking, `hostfwd` to 10.0.2.15 on a free
host port bound to 127.0.0.1, a virtio-net-device):
- cvmify: `cvmify run BUNDLE -p PORT:GUESTPORT`;
- Linux: Debian's cloud kernel (benchmarks/linux_guest.py) with the
  image's tree as its initramfs, virtio-net loaded as modules, eth0 set
  to 10.0.2.15/24 by busybox.
The one machine difference: Linux needs the PIC and ACPI that cvmify's
microvm leaves off (linux_guest.qemu_argv).

Each run boots every guest once per server and measures every load of
that server in it after an untimed warm-up; runs go cvmify, Linux,
cvmify, ... and the tables give medians over runs. The load generators
run on the host (2 threads: they share the machine with QEMU; read the
load average printed with each run).

Usage: python benchmarks/net.py [--runs 3] [--accel tcg] [--memory 512M]
                                [--seconds 10] [--requests 20000] [--redis-clients 50]
                                [--servers nginx,redis] [--kernel ELF] [--json]
Needs wrk and redis-benchmark on the host (apt-get install wrk
redis-tools). Record the tables in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import stat
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import linux_guest  # noqa: E402
from cvmify_cli import cvmify_bin  # noqa: E402

BUSYBOX = Path("/bin/busybox")
# Not copied into the Linux initramfs (it is held twice while it unpacks).
LEFT_OUT = ("usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info")
MODULES = ["virtio_ring", "virtio", "virtio_mmio", "failover", "net_failover",
           "virtio_net"]  # load order
BOOT_TIMEOUT_S = 600
GUEST_IP = "10.0.2.15"

NGINX_ARGV = ["/usr/sbin/nginx", "-c", "/etc/nginx/cvmify-test.conf"]
REDIS_ARGV = ["/usr/bin/redis-server", "--port", "6379", "--bind", "0.0.0.0",
              "--protected-mode", "no", "--save", "", "--appendonly", "no", "--dir", "/tmp"]


@dataclass(frozen=True)
class Server:
    name: str
    argv: list[str]
    port: int          # in the guest
    uid: int = 0       # cvmify: nginx runs as www-data (no setuid dance)


SERVERS = [Server("nginx", NGINX_ARGV, 8080, uid=33), Server("redis", REDIS_ARGV, 6379)]

# (server, load name, description)
LOADS = [
    ("nginx", "nginx-small", "nginx, /index.html (226 B), wrk 50 connections"),
    ("nginx", "nginx-1m", "nginx, /1m.bin (1 MiB), wrk 4 connections"),
    ("redis", "redis-set", "redis SET, redis-benchmark {clients} clients"),
    ("redis", "redis-get", "redis GET, redis-benchmark {clients} clients"),
]

# The Linux guest's /init: the server named by `server=` on the kernel
# command line (the kernel passes it as an environment variable).
LINUX_INIT = b"""#!/cvmify-bin/busybox sh
B=/cvmify-bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
$B mount -t tmpfs tmp /tmp
for m in virtio_ring virtio virtio_mmio failover net_failover virtio_net; do
    $B insmod /cvmify-modules/$m.ko || echo "net: insmod $m failed"
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do $B sleep 0.1; i=$((i+1)); done
$B ip link set lo up
$B ip link set eth0 up
$B ip addr add 10.0.2.15/24 dev eth0
$B ip route add default via 10.0.2.2
echo "net: eth0 up"
case "$server" in
nginx) exec /usr/sbin/nginx -c /etc/nginx/cvmify-test.conf ;;
redis) exec /usr/bin/redis-server --port 6379 --bind 0.0.0.0 --protected-mode no \\
           --save '' --appendonly no --dir /tmp ;;
esac
echo "net: no server '$server'"
$B reboot -f
"""


def netservers_image() -> str:
    from tests.images import build as images

    return images.build_image("netservers")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_bundles(tag: str, work: Path, kernel: Path | None,
                  servers: list[Server]) -> dict[str, Path]:
    """One cvmify bundle per server."""
    bundles = {}
    for server in servers:
        manifest = work / f"{server.name}.toml"
        lines = [f"libos.entrypoint = {json.dumps(server.argv[0])}",
                 f"loader.argv = {json.dumps(server.argv)}"]
        if server.uid:
            lines += [f"loader.uid = {server.uid}", f"loader.gid = {server.uid}"]
        manifest.write_text("\n".join(lines) + "\n")
        bundle = work / f"{server.name}.bundle"
        cmd = [cvmify_bin(), "build", f"docker-daemon:{tag}", "-o", str(bundle),
               "--manifest", str(manifest)]
        if kernel is not None:
            cmd += ["--kernel", str(kernel)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        bundles[server.name] = bundle
    return bundles


def export_tree(tag: str, root: Path) -> None:
    """The image's files (docker export) without LEFT_OUT and the
    placeholders docker adds (dev/console, .dockerenv)."""
    import docker

    client = docker.from_env(timeout=1800)
    container = client.containers.create(tag)
    tar_path = root.parent / "export.tar"
    try:
        with tar_path.open("wb") as out:
            for chunk in container.export():
                out.write(chunk)
    finally:
        container.remove()
    root.mkdir()
    with tarfile.open(tar_path) as tar:
        keep = [m for m in tar.getmembers()
                if not m.isdev() and not m.name.startswith(("dev/", ".dockerenv"))
                and not m.name.startswith(LEFT_OUT)]
        tar.extractall(root, members=keep, numeric_owner=True)
    tar_path.unlink()
    for d in ("proc", "sys", "dev", "tmp"):
        (root / d).mkdir(exist_ok=True)


def build_linux_initrd(tag: str, work: Path) -> Path:
    root = work / "tree"
    export_tree(tag, root)
    extra = [("init", stat.S_IFREG | 0o755, LINUX_INIT),
             ("cvmify-bin", stat.S_IFDIR | 0o755, b""),
             ("cvmify-bin/busybox", stat.S_IFREG | 0o755, BUSYBOX.read_bytes()),
             ("cvmify-modules", stat.S_IFDIR | 0o755, b"")]
    extra += [(f"cvmify-modules/{n}.ko", stat.S_IFREG | 0o644, data)
              for n, data in linux_guest.kernel_modules(MODULES).items()]
    initrd = linux_guest.write_tree_initramfs(work / "net.cpio", root, extra)
    subprocess.run(["rm", "-rf", str(root)], check=True)
    return initrd


def linux_argv(args, initrd: Path, server: Server, host_port: int) -> list[str]:
    argv = linux_guest.qemu_argv(args.accel, args.memory, initrd=initrd)
    argv[argv.index("-append") + 1] += f" server={server.name}"
    return argv + [
        "-netdev", f"user,id=net0,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,"
                   f"hostfwd=tcp:127.0.0.1:{host_port}-{GUEST_IP}:{server.port}",
        "-global", "virtio-mmio.force-legacy=false",
        "-device", "virtio-net-device,netdev=net0",
    ]


def cvmify_argv(args, bundle: Path, server: Server, host_port: int) -> list[str]:
    return [cvmify_bin(), "run", str(bundle), "--accel", args.accel, "--memory", args.memory,
            "--cpus", "1", "-p", f"{host_port}:{server.port}"]


def answers(port: int, server: Server) -> bool:
    probe = b"PING\r\n" if server.name == "redis" else b"GET / HTTP/1.0\r\n\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(probe)
            return bool(s.recv(64))
    except OSError:
        return False


class Guest:
    """A booted guest serving on a host port; stopped with SIGTERM."""

    def __init__(self, argv: list[str], server: Server, port: int, log: Path):
        self.log = log.open("wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while not answers(port, server):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{argv[0]}: {server.name} never answered; see {log}")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not m:
        raise ValueError(f"wrk latency {text!r}")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def wrk(port: int, path: str, connections: int, seconds: int) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                          f"http://127.0.0.1:{port}{path}"],
                         check=True, capture_output=True, text=True).stdout
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if not (rps and p50 and p99) or bad:
        raise RuntimeError(f"wrk: unexpected output:\n{out}")
    # Requests wrk gave up on after 2 s count against the guest (errors).
    return {"rps": float(rps.group(1)), "p50_ms": _ms(p50.group(1)), "p99_ms": _ms(p99.group(1)),
            "errors": sum(int(n) for n in errors.groups()) if errors else 0}


def redis_benchmark(port: int, test: str, requests: int, clients: int) -> dict[str, float]:
    out = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients),
                          "-n", str(requests), "-t", test, "--csv"],
                         check=True, capture_output=True, text=True).stdout
    rows = [line.replace('"', "").split(",") for line in out.splitlines() if line.strip()]
    header, values = rows[0], rows[-1]
    row = dict(zip(header, values))
    if row.get("test", "").lower() != test:
        raise RuntimeError(f"redis-benchmark: unexpected output:\n{out}")
    return {"rps": float(row["rps"]), "p50_ms": float(row["p50_latency_ms"]),
            "p99_ms": float(row["p99_latency_ms"]), "errors": 0}


def measure(server: Server, port: int, args) -> dict[str, dict[str, float]]:
    """Every load of server, after an untimed warm-up."""
    if server.name == "nginx":
        wrk(port, "/index.html", 50, 2)
        return {"nginx-small": wrk(port, "/index.html", 50, args.seconds),
                "nginx-1m": wrk(port, "/1m.bin", 4, args.seconds)}
    c = args.redis_clients
    redis_benchmark(port, "set", max(1000, args.requests // 10), c)
    return {"redis-set": redis_benchmark(port, "set", args.requests, c),
            "redis-get": redis_benchmark(port, "get", args.requests, c)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--accel", default="tcg", choices=["tcg", "kvm"])
    parser.add_argument("--memory", default="512M")
    parser.add_argument("--seconds", type=int, default=10, help="each wrk load")
    parser.add_argument("--requests", type=int, default=20000, help="each redis-benchmark test")
    parser.add_argument("--redis-clients", type=int, default=50)
    parser.add_argument("--kernel", type=Path, help="cvmify kernel ELF (default: the build's)")
    parser.add_argument("--logs", type=Path, help="keep the guests' console logs here")
    parser.add_argument("--servers", default="nginx,redis", help="comma-separated")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    servers = [s for s in SERVERS if s.name in args.servers.split(",")]
    loads = [load for load in LOADS if load[0] in args.servers.split(",")]

    tag = netservers_image()
    guests = ["cvmify", "linux"]
    samples = {g: {name: [] for _, name, _ in loads} for g in guests}
    with tempfile.TemporaryDirectory(dir=os.environ.get("CVMIFY_BENCH_TMP")) as tmp:
        work = Path(tmp)
        logs = args.logs or work
        logs.mkdir(parents=True, exist_ok=True)
        bundles = build_bundles(tag, work, args.kernel, servers)
        initrd = build_linux_initrd(tag, work)
        for run in range(args.runs):
            for guest in guests:
                for server in servers:
                    port = free_port()
                    argv = (cvmify_argv(args, bundles[server.name], server, port)
                            if guest == "cvmify" else linux_argv(args, initrd, server, port))
                    started = time.perf_counter()
                    booted = Guest(argv, server, port, logs / f"{guest}-{server.name}-{run}.log")
                    try:
                        results = measure(server, port, args)
                    finally:
                        booted.stop()
                    for name, figures in results.items():
                        samples[guest][name].append(figures)
                    summary = ", ".join(f"{n} {f['rps']:.0f}/s" for n, f in results.items())
                    print(f"run {run + 1}/{args.runs} {guest} {server.name}: {summary} "
                          f"({time.perf_counter() - started:.0f} s, load "
                          f"{os.getloadavg()[0]:.1f})", file=sys.stderr)

    def median(guest: str, name: str, key: str) -> float:
        return statistics.median(s[key] for s in samples[guest][name])

    medians = {g: {name: {k: median(g, name, k) for k in ("rps", "p50_ms", "p99_ms", "errors")}
                   for _, name, _ in loads} for g in guests}
    if args.json:
        print(json.dumps({"runs": args.runs, "accel": args.accel, "memory": args.memory,
                          "medians": medians, "samples": samples}, indent=2))
        return
    print(f"accel={args.accel} memory={args.memory} runs={args.runs} (medians)")
    print("| load | cvmify req/s | Linux req/s | ratio | cvmify p50 / p99 | Linux p50 / p99 "
          "| timeouts cvmify / Linux |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for _, name, description in loads:
        c, lx = medians["cvmify"][name], medians["linux"][name]
        description = description.format(clients=args.redis_clients)
        print(f"| {description} | {c['rps']:.0f} | {lx['rps']:.0f} | {c['rps'] / lx['rps']:.2f} | "
              f"{c['p50_ms']:.2f} / {c['p99_ms']:.2f} ms | "
              f"{lx['p50_ms']:.2f} / {lx['p99_ms']:.2f} ms | {c['errors']:g} / {lx['errors']:g} |")


if __name__ == "__main__":
    main()
