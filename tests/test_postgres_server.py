"""PostgreSQL as a server (issue 8's gap: only initdb and single-user mode
were tested). Debian's postgres 15 from the postgres test image, its
cluster on a persistent volume:

- inside the guest, over the unix socket: the postmaster started with
  pg_ctl forks a backend per connection (shared memory, semaphores,
  latches, background workers), four psql sessions at once and pgbench
  with four clients, then `pg_ctl stop -m fast`; the same script under
  `docker run` prints the same; a second run starts the server again and
  finds the rows;
- a backend killed with SIGKILL: the postmaster ends the other server
  processes, reinitialises its shared memory and serves again (as under
  `docker run`);
- from the host, over TCP through `cvmify run -p`: the postmaster as the
  app itself, host psql sessions (four at once), and SIGTERM to
  `cvmify run` (docker's sig-proxy) is postgres' smart shutdown, after
  which cvmify run exits 0.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import require_tools
from tests.docker_run import docker_run
from tests.netguest import free_port
from tests.netrun import running

# The volume test's bundle (same image and manifest), state dir and runs.
from tests.test_volume_postgres import DATA, MEMORY, bundle, sh, state  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.qemu, pytest.mark.docker, pytest.mark.slow]

# initdb, the server in the background, clients on the unix socket.
# Only deterministic lines are printed (no PIDs, no times).
SESSIONS = f"""set -e
D={DATA}
initdb -D $D -A trust >/tmp/initdb.log 2>&1 || {{ tail -20 /tmp/initdb.log; exit 1; }}
pg_ctl -D $D -l /tmp/pg.log -w -t 300 start >/dev/null || {{ tail -30 /tmp/pg.log; exit 1; }}
pg_isready -q && echo ready
psql -X -q -v ON_ERROR_STOP=1 -c "create table t (k int primary key, v text)" \\
  -c "insert into t select g, md5(g::text) from generate_series(1, 1000) g" postgres
for c in 1 2 3 4; do
  psql -X -q -At -v ON_ERROR_STOP=1 -c "insert into t values (1000 + $c, 'client $c')" \\
    -c "select 'client ' || $c || ' sees ' || count(*) from t where k = 1000 + $c" postgres \\
    >/tmp/c$c.out 2>&1 &
done
wait
cat /tmp/c1.out /tmp/c2.out /tmp/c3.out /tmp/c4.out
psql -X -At -c "select count(*), sum(k) from t" postgres
pgbench -i -q -s 1 postgres >/tmp/pgbench-init.log 2>&1 || {{ cat /tmp/pgbench-init.log; exit 1; }}
pgbench -c 4 -j 2 -t 10 postgres 2>&1 | grep -E 'actually processed|failed transactions'
pg_ctl -D $D -m fast -w stop >/dev/null
echo "stopped $?"
grep -c 'database system is shut down' /tmp/pg.log"""

SESSIONS_OUT = """ready
client 1 sees 1
client 2 sees 1
client 3 sees 1
client 4 sees 1
1004|504510
number of transactions actually processed: 40/40
number of failed transactions: 0 (0.000%)
stopped 0
1
"""

RESTART = f"""set -e
pg_ctl -D {DATA} -l /tmp/pg.log -w -t 300 start >/dev/null || {{ tail -30 /tmp/pg.log; exit 1; }}
psql -X -At -c "select count(*), sum(k) from t" -c "select v from t where k = 1003" postgres
pg_ctl -D {DATA} -m fast -w stop >/dev/null
echo "stopped $?\""""

# A backend killed by SIGKILL: the postmaster ends every other server
# process, reinitialises its shared memory and accepts sessions again.
CRASH = f"""set -e
D={DATA}
initdb -D $D -A trust >/tmp/initdb.log 2>&1 || {{ tail -20 /tmp/initdb.log; exit 1; }}
pg_ctl -D $D -l /tmp/pg.log -w -t 300 start >/dev/null || {{ tail -30 /tmp/pg.log; exit 1; }}
psql -X -q -c "create table t (k int)" -c "insert into t values (1)" postgres
psql -X -q -At -c "select pg_sleep(600)" postgres >/tmp/victim.out 2>&1 &
for i in $(seq 300); do
  pid=$(psql -X -At -c "select pid from pg_stat_activity where query like '%pg_sleep(600)%'
                        and pid <> pg_backend_pid()" postgres)
  [ -n "$pid" ] && break
  sleep 1
done
[ -n "$pid" ] && echo "found the backend"
kill -9 $pid
wait || true
for i in $(seq 300); do psql -X -At -c "select count(*) from t" postgres 2>/dev/null && break; sleep 1; done
grep -E "terminated by signal|all server processes terminated|database system is ready" /tmp/pg.log |
  sed -e 's/^.*UTC \\[[0-9]*\\] //' -e 's/PID [0-9]*/PID N/'
pg_ctl -D $D -m fast -w stop >/dev/null
echo "stopped $?\""""

CRASH_OUT = """found the backend
1
LOG:  database system is ready to accept connections
LOG:  server process (PID N) was terminated by signal 9: Killed
LOG:  all server processes terminated; reinitializing
LOG:  database system is ready to accept connections
stopped 0
"""

# The postmaster as the app, listening on TCP for the host.
SERVER = f"""set -e
if [ ! -s {DATA}/PG_VERSION ]; then
  initdb -D {DATA} -A trust >/tmp/initdb.log 2>&1 || {{ tail -20 /tmp/initdb.log; exit 1; }}
  echo "host all all all trust" >> {DATA}/pg_hba.conf
  echo initialized
fi
exec postgres -D {DATA} -c listen_addresses='*'"""



def run_args() -> tuple[str, ...]:
    return ("--memory", MEMORY, "-v", f"pg:{DATA}")


def psql_argv(port: int, *sql: str) -> list[str]:
    """Host psql running each of sql in one session (-c ... -c ...)."""
    commands = [arg for statement in sql for arg in ("-c", statement)]
    return ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-X", "-q", "-At",
            "-v", "ON_ERROR_STOP=1", *commands, "postgres"]


def psql(port: int, sql: str) -> str:
    done = subprocess.run(psql_argv(port, sql), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def accepts_queries(port: int):
    """ready(): the server answers a query (a bare TCP answer is not
    enough: slirp accepts for the guest, and a postmaster still starting
    up refuses sessions)."""
    def ready() -> bool:
        try:
            return subprocess.run(psql_argv(port, "select 1"), capture_output=True,
                                  timeout=60).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    return ready


def test_postgres_server_sessions_on_the_unix_socket(bundle, state, image_tag):
    first = sh(bundle, SESSIONS)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout == SESSIONS_OUT, first.stdout + first.stderr
    docker = docker_run(image_tag("postgres"), "-c", SESSIONS, entrypoint="/bin/sh")
    assert (docker.returncode, docker.stdout) == (0, SESSIONS_OUT), docker.stdout + docker.stderr
    # The server starts again on the same volume and finds its rows.
    again = sh(bundle, RESTART)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout == "1004|504510\nclient 3\nstopped 0\n", again.stdout + again.stderr


def test_postgres_server_restarts_its_processes_after_a_backend_is_killed(bundle, state, image_tag):
    crashed = sh(bundle, CRASH)
    assert (crashed.returncode, crashed.stdout) == (0, CRASH_OUT), crashed.stdout + crashed.stderr
    docker = docker_run(image_tag("postgres"), "-c", CRASH, entrypoint="/bin/sh")
    assert (docker.returncode, docker.stdout) == (0, CRASH_OUT), docker.stdout + docker.stderr


def test_postgres_server_over_tcp_from_the_host(bundle, state):
    require_tools("psql")
    port = free_port()
    with running(bundle, *run_args(), "-p", f"{port}:5432", "--", "-c", SERVER,
                 ready=accepts_queries(port)) as proc:
        psql(port, "create table t (k int primary key, who text)")
        sessions = [subprocess.Popen(psql_argv(port, f"insert into t select g, 'session {n}' from "
                                                     f"generate_series({n * 100 + 1}, {n * 100 + 100}) g",
                                               f"select count(*) from t where who = 'session {n}'"),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    for n in range(4)]
        for session in sessions:
            out, err = session.communicate(timeout=120)
            assert (session.returncode, out) == (0, "100\n"), out + err
        assert psql(port, "select count(*), count(distinct who), sum(k) from t") == "400|4|80200"
        assert psql(port, "select count(*) from pg_stat_activity where backend_type = 'checkpointer'") == "1"
    # SIGTERM to cvmify run reached the postmaster: a smart shutdown.
    assert proc.returncode == 0, proc.out + proc.err
    assert proc.out.startswith(b"initialized\n"), proc.out
    assert b"received smart shutdown request" in proc.err, proc.err
    assert b"database system is shut down" in proc.err, proc.err
