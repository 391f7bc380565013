"""Multi-threaded programs on real language runtimes, compared with
`docker run` of the same image (stdout and exit status must be equal).

The runtimes image (tests/images/runtimes/) holds Debian's python3,
nodejs and default-jre-headless, a Go program built with golang-go and a
Java class compiled at image build time. One bundle serves every test:
its entrypoint is /bin/sh and the host may pass argv, so each test runs
the same `sh -c SCRIPT` under docker and under `cvmify run --cpus N`.

What each program exercises is in its source: threads.py (threading,
queue, Barrier, Condition, Timer, ThreadPoolExecutor), threads.go
(goroutines on GOMAXPROCS=N, a spinning goroutine preempted by signal,
tickers, a child process), Threads.java (synchronized, executors,
parallel streams, CompletableFuture, CyclicBarrier, interrupt) and
NODE_SCRIPT below (worker_threads, Atomics.wait/notify across threads,
libuv's thread pool).
"""

from __future__ import annotations

import pytest
import tomli_w

from tests.guest import cvmify, run_bundle

pytestmark = [pytest.mark.docker, pytest.mark.qemu, pytest.mark.slow]

# Everything the bundle may run: argv[1..] comes from the host.
MANIFEST = {
    "libos": {"entrypoint": "/bin/sh"},
    "loader": {"argv": ["/bin/sh", "-c", "exit 99"], "insecure__use_cmdline_argv": True},
    "sys": {"memory": "1G"},
}

# Perf data files need flock(2) (the file-lock work, not threads); without
# them the JVM prints a warning on stdout, so both sides leave them off.
# TieredStopAtLevel=1: compiled code stays at C1's first tier, so HotSpot
# never re-patches the entry of a method that another vCPU may be running
# (the tier-3 to tier-4 hand-over). QEMU 7.2's multi-threaded TCG loses
# that cross-modifying-code race now and then: the JVM crashed at a
# just-patched C1 method entry in 3 of 120 runs on a Linux 6.1 guest and
# 9 of 154 on ours, never with this flag (docs/launch.md, "Accelerator";
# benchmarks/jit_race.py).
JAVA = "exec java -XX:-UsePerfData -XX:TieredStopAtLevel=1 -cp /opt/threads Threads"

NODE_SCRIPT = r"""
const { Worker } = require('worker_threads');
const crypto = require('crypto');
const zlib = require('zlib');
const fs = require('fs');
const shared = new Int32Array(new SharedArrayBuffer(8));
const body = `
const { parentPort, workerData } = require('worker_threads');
let sum = 0;
for (let i = 0; i < 300000; i++) sum += (i * workerData.n) % 7;
for (let i = 0; i < 10000; i++) Atomics.add(workerData.shared, 0, 1);
parentPort.postMessage(sum);
`;
const worker = (n) => new Promise((resolve, reject) => {
  const w = new Worker(body, { eval: true, workerData: { n, shared } });
  w.on('message', resolve);
  w.on('error', reject);
});
const waiter = () => new Promise((resolve, reject) => {
  const w = new Worker(`
const { workerData } = require('worker_threads');
Atomics.wait(workerData.shared, 1, 0);
process.exit(Atomics.load(workerData.shared, 1));
`, { eval: true, workerData: { shared } });
  w.on('exit', resolve);
  w.on('error', reject);
  setTimeout(() => { Atomics.store(shared, 1, 3); Atomics.notify(shared, 1); }, 50);
});
const pbkdf2 = (i) => new Promise((resolve, reject) =>
  crypto.pbkdf2('secret', 'salt' + i, 1000, 16, 'sha256',
                (e, k) => e ? reject(e) : resolve(k.toString('hex').slice(0, 8))));
const gzip = new Promise((resolve, reject) =>
  zlib.gzip(Buffer.alloc(1 << 20, 'x'), (e, z) => e ? reject(e) :
    zlib.gunzip(z, (e2, back) => e2 ? reject(e2) : resolve(back.length))));
(async () => {
  console.log('worker sums:', (await Promise.all([0, 1, 2, 3].map(worker))).join(' '));
  console.log('atomic counter:', Atomics.load(shared, 0));
  console.log('Atomics.wait woken, worker exit code:', await waiter());
  console.log('pbkdf2 on the thread pool:', (await Promise.all([0, 1, 2, 3].map(pbkdf2))).join(' '));
  console.log('gzip round trip:', await gzip);
  console.log('async readFile:', (await fs.promises.readFile('/etc/os-release', 'utf8')).length > 0);
  process.exit(8);
})().catch((e) => { console.error(e); process.exit(1); });
"""


@pytest.fixture(scope="module")
def runtimes_image(image_tag) -> str:
    return image_tag("runtimes")


@pytest.fixture(scope="module")
def runtimes_bundle(runtimes_image, kernel, tmp_path_factory):
    work = tmp_path_factory.mktemp("runtimes")
    manifest = work / "manifest.toml"
    manifest.write_text(tomli_w.dumps(MANIFEST))
    bundle = work / "bundle"
    built = cvmify("build", f"docker-daemon:{runtimes_image}", "-o", str(bundle),
                   "--manifest", str(manifest), "--kernel", str(kernel))
    assert built.returncode == 0, f"cvmify build failed:\n{built.stderr}"
    return bundle


def docker_run(client, image: str, argv: list[str]) -> tuple[str, int]:
    """stdout and exit status of `docker run --rm IMAGE sh -c ...`."""
    container = client.containers.create(image, command=argv)
    try:
        container.start()
        status = container.wait(timeout=600)["StatusCode"]
        return container.logs(stdout=True, stderr=False).decode(), status
    finally:
        container.remove(force=True)


def same_as_docker(docker_client, image: str, bundle, cpus: int, *script: str) -> str:
    """Runs `sh -c SCRIPT [ARG0]` both ways; asserts equal stdout and exit
    status, returns stdout."""
    argv = ["sh", "-c", *script]
    expected, expected_status = docker_run(docker_client, image, argv)
    run = run_bundle(bundle, "--cpus", str(cpus), "--", *argv[1:])
    assert run.stdout == expected, f"docker run said:\n{expected}\ncvmify run said:\n{run.stdout}{run.stderr}"
    assert run.returncode == expected_status, run.stderr
    return run.stdout


def test_python_threading_and_executor(docker_client, runtimes_image, runtimes_bundle):
    out = same_as_docker(docker_client, runtimes_image, runtimes_bundle, 2,
                         "exec python3 /opt/threads/threads.py")
    assert "locked counter: 16000" in out and "threads left: 1" in out


@pytest.mark.parametrize("cpus", [1, 2])
def test_go_goroutines_on_gomaxprocs_n(docker_client, runtimes_image, runtimes_bundle, cpus):
    out = same_as_docker(docker_client, runtimes_image, runtimes_bundle, cpus,
                         f"GOMAXPROCS={cpus} exec /opt/threads/threads-go")
    assert f"GOMAXPROCS: {cpus}" in out and "spinner preempted: true" in out


def test_go_sees_the_vcpus(runtimes_bundle):
    """Without GOMAXPROCS the Go runtime sizes itself from the affinity
    mask: the vCPUs of --cpus, not the host's cores."""
    run = run_bundle(runtimes_bundle, "--cpus", "3", "--",
                     "-c", "exec /opt/threads/threads-go")
    assert run.returncode == 6, run.stderr
    assert "GOMAXPROCS: 3" in run.stdout, run.stdout


def test_java_threads(docker_client, runtimes_image, runtimes_bundle):
    out = same_as_docker(docker_client, runtimes_image, runtimes_bundle, 2, JAVA)
    assert "synchronized counter: 80000" in out


def test_node_worker_threads(docker_client, runtimes_image, runtimes_bundle):
    out = same_as_docker(docker_client, runtimes_image, runtimes_bundle, 2,
                         'exec node -e "$0"', NODE_SCRIPT)
    assert "atomic counter: 40000" in out
