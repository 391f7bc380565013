"""SO_REUSEPORT through `cvmify run -p`: Debian's nginx with two worker
processes, each with its own `listen ... reuseport` socket on one port,
serving curl on the host. The guest kernel hands the connections to the
two listeners in turn (docs/network.md), so both workers must answer.
The socket-level checks (fork, threads, close, UDP) are the guest
program kernel/tests/guest/reuseport.c."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import require_tools
from tests.guest import build_bundle, program
from tests.netguest import free_port
from tests.netrun import running, tcp_answers

import pytest

pytestmark = pytest.mark.usefixtures("qemu_and_toolchain")

# The image's nginx config with two workers, reuseport listeners and the
# answering worker's pid in a header; written to /tmp, then nginx runs.
NGINX_REUSEPORT = r"""
import os
conf = open('/etc/nginx/cvmify-test.conf').read()
conf = conf.replace('worker_processes 1;', 'worker_processes 2;')
conf = conf.replace('listen 8080;', 'listen 8080 reuseport;')
conf = conf.replace('listen [::]:8080;', 'listen [::]:8080 reuseport;')
conf = conf.replace('root /srv/www;', 'root /srv/www; add_header X-Worker $pid always;')
open('/tmp/nginx.conf', 'w').write(conf)
os.execv('/usr/sbin/nginx', ['nginx', '-c', '/tmp/nginx.conf'])
"""


def test_nginx_reuseport_workers_share_the_port(netservers_image, kernel, tmp_path):
    require_tools("curl")
    manifest = program("/usr/bin/python3", "-c", NGINX_REUSEPORT)
    manifest["loader"].update({"uid": 33, "gid": 33})  # www-data, as the nginx test
    bundle = build_bundle(netservers_image, kernel, tmp_path, manifest)
    port = free_port()
    with running(bundle, "-p", f"{port}:8080", ready=tcp_answers(port, b"GET / HTTP/1.0\r\n\r\n")):
        workers = []
        for _ in range(8):  # one connection each
            head = subprocess.run(["curl", "-sS", "--fail", "-m", "60", "-D", "-", "-o", "/dev/null",
                                   f"http://127.0.0.1:{port}/index.html"],
                                  check=True, capture_output=True, text=True).stdout
            found = re.search(r"^X-Worker: (\d+)", head, re.MULTILINE | re.IGNORECASE)
            assert found, head
            workers.append(found.group(1))
    assert len(set(workers)) == 2, workers
