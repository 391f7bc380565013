/* smp.c: several vCPUs: sched_getaffinity reports exactly the vCPUs
 * the machine has (argv[1], default: whatever the affinity says; with
 * argv[2] "affinity-only" that is all it checks), a
 * child pinned to each vCPU with sched_setaffinity runs there (getcpu),
 * busy children on every vCPU still let a sleeper run, pipes carry data
 * between processes on different vCPUs, and many forks and exits at
 * once leave nothing behind. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static int g_cpus;

static void check_affinity(int expected)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	check(sched_getaffinity(0, sizeof(set), &set) == 0, "sched_getaffinity");
	g_cpus = CPU_COUNT(&set);
	if (expected > 0) {
		char what[64];
		snprintf(what, sizeof(what), "affinity lists the %d vCPUs", expected);
		check(g_cpus == expected, what);
	}
	for (int i = 0; i < g_cpus; i++)
		check(CPU_ISSET(i, &set), "vCPUs are numbered from 0");
	errno = 0;
	CPU_ZERO(&set);
	CPU_SET(63, &set);
	check(g_cpus == 64 || (sched_setaffinity(0, sizeof(set), &set) == -1 && errno == EINVAL),
	      "pinning to a vCPU that is not there: EINVAL");
}

static void check_pinning(void)
{
	int ok = 1;
	for (int cpu = 0; cpu < g_cpus; cpu++) {
		pid_t pid = fork();
		if (pid == 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set) != 0)
				_exit(2);
			for (volatile int i = 0; i < 1000000; i++)
				;
			_exit(sched_getcpu() == cpu ? 0 : 1);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	check(ok, "a child pinned to each vCPU runs on it");
}

static void check_busy_everywhere(void)
{
	int n = g_cpus + 1;
	pid_t busy[65];
	for (int i = 0; i < n; i++) {
		busy[i] = fork();
		if (busy[i] == 0)
			for (;;)
				;
	}
	struct timespec ts = {0, 10 * 1000 * 1000};
	int slept = 0;
	for (int i = 0; i < 10; i++)
		slept += nanosleep(&ts, NULL) == 0;
	check(slept == 10, "a sleeper runs while every vCPU has a busy loop");
	for (int i = 0; i < n; i++) {
		kill(busy[i], SIGKILL);
		waitpid(busy[i], NULL, 0);
	}
}

static void check_pipe_between_cpus(void)
{
	int to_child[2], to_parent[2];
	pipe(to_child);
	pipe(to_parent);
	pid_t pid = fork();
	if (pid == 0) {
		if (g_cpus > 1) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(1, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		unsigned v;
		while (read(to_child[0], &v, sizeof(v)) == sizeof(v) && v != 0) {
			v++;
			write(to_parent[1], &v, sizeof(v));
		}
		_exit(0);
	}
	int ok = 1;
	for (unsigned i = 1; i < 2000; i += 2) {
		unsigned v = i, back = 0;
		write(to_child[1], &v, sizeof(v));
		ok &= read(to_parent[0], &back, sizeof(back)) == sizeof(back) && back == i + 1;
	}
	unsigned zero = 0;
	write(to_child[1], &zero, sizeof(zero));
	waitpid(pid, NULL, 0);
	check(ok, "1000 pipe round trips between two processes");
}

static void check_fork_storm(void)
{
	enum { ROUNDS = 10, WIDTH = 16 };
	int ok = 1;
	for (int r = 0; r < ROUNDS; r++) {
		pid_t pids[WIDTH];
		for (int i = 0; i < WIDTH; i++) {
			pids[i] = fork();
			if (pids[i] == 0)
				_exit(i);
		}
		for (int i = 0; i < WIDTH; i++) {
			int status = 0;
			ok &= waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
			      WEXITSTATUS(status) == i;
		}
	}
	errno = 0;
	check(ok && waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD,
	      "160 forks and exits in waves, every status right");
}

int main(int argc, char **argv)
{
	check_affinity(argc > 1 ? atoi(argv[1]) : 0);
	if (argc > 2 && strcmp(argv[2], "affinity-only") == 0)
		return check_done("smp");
	check_pinning();
	check_busy_everywhere();
	check_pipe_between_cpus();
	check_fork_storm();
	return check_done("smp");
}
