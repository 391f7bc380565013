"""How often a JIT loses QEMU's multi-threaded TCG race, on cvmify and on a
Linux guest (docs/launch.md, "Accelerator").

Both guests boot once with 2 vCPUs and run the runtimes test image's
Threads program (tests/images/runtimes/Threads.java) RUNS times in a shell
loop; a run counts as crashed when the JVM ends with anything but the
program's own exit status 7. The Linux guest is Debian's cloud kernel with
the image as its initramfs (benchmarks/linux_guest.py).

    python -m benchmarks.jit_race --runs 60
    python -m benchmarks.jit_race --runs 60 --jvm-flags=-XX:TieredStopAtLevel=1
"""

from __future__ import annotations

import argparse
import re
import stat
import subprocess
import tempfile
from pathlib import Path

from benchmarks import io, linux_guest
from benchmarks.cvmify_cli import cvmify_bin

STATUS = re.compile(r"^jit-race run (\d+) status (\d+)", re.M)
PROGRAM_STATUS = 7  # Threads.java ends with System.exit(7)


def loop_script(runs: int, jvm_flags: str) -> str:
    return (f"cd /opt/threads; i=0; while [ $i -lt {runs} ]; do i=$((i+1)); "
            f"java -XX:-UsePerfData {jvm_flags} -cp /opt/threads Threads >/dev/null 2>&1; "
            f"echo \"jit-race run $i status $?\"; rm -f hs_err_pid*.log; done")


def run_cvmify(tag: str, work: Path, script: str) -> str:
    manifest = work / "race.toml"
    manifest.write_text('libos.entrypoint = "/bin/sh"\nsys.memory = "1G"\n'
                        'loader.argv = ["/bin/sh", "-c", "exit 99"]\n'
                        'loader.insecure__use_cmdline_argv = true\n')
    bundle = work / "race.bundle"
    subprocess.run([cvmify_bin(), "build", f"docker-daemon:{tag}", "-o", str(bundle),
                    "--manifest", str(manifest)], check=True, stdout=subprocess.DEVNULL)
    run = subprocess.run([cvmify_bin(), "run", str(bundle), "--cpus", "2", "--", "-c", script],
                         capture_output=True, text=True)
    return run.stdout


def run_linux(tag: str, work: Path, script: str) -> str:
    root = work / "tree"
    io.export_tree(tag, root)
    init = ("#!/cvmify-bin/busybox sh\nB=/cvmify-bin/busybox\n"
            "$B mount -t proc proc /proc\n$B mount -t sysfs sys /sys\n"
            "$B mount -t devtmpfs dev /dev\n$B mount -t tmpfs tmp /tmp\n"
            f"/bin/sh -c '{script}'\n$B reboot -f\n").encode()
    initrd = linux_guest.write_tree_initramfs(
        work / "tree.cpio", root,
        [("init", stat.S_IFREG | 0o755, init),
         ("cvmify-bin", stat.S_IFDIR | 0o755, b""),
         ("cvmify-bin/busybox", stat.S_IFREG | 0o755, linux_guest.BUSYBOX.read_bytes())])
    argv = linux_guest.qemu_argv("tcg", "3G", initrd=initrd)
    argv[argv.index("-smp") + 1] = "2"
    argv[argv.index("-accel") + 1] = "tcg,thread=multi"  # as cvmify runs TCG
    return subprocess.run(argv, capture_output=True, text=True).stdout


def crashes(output: str) -> tuple[int, int]:
    """(runs seen, runs whose JVM died)."""
    statuses = [int(s) for _, s in STATUS.findall(output)]
    return len(statuses), sum(1 for s in statuses if s != PROGRAM_STATUS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--jvm-flags", default="", help="extra java flags, e.g. -XX:TieredStopAtLevel=1")
    parser.add_argument("--guests", default="cvmify,linux")
    args = parser.parse_args()
    from tests.images import build as images

    tag = images.build_image("runtimes")
    script = loop_script(args.runs, args.jvm_flags)
    with tempfile.TemporaryDirectory() as tmp:
        for guest in args.guests.split(","):
            work = Path(tmp) / guest
            work.mkdir()
            output = (run_cvmify if guest == "cvmify" else run_linux)(tag, work, script)
            seen, died = crashes(output)
            print(f"{guest}: JVM died in {died} of {seen} runs (flags: {args.jvm_flags or 'default'})",
                  flush=True)


if __name__ == "__main__":
    main()
