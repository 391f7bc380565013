/*
 * procattr.c: per-process attributes: the prctl options that runtimes,
 * init helpers (tini) and privilege-dropping tools use: dumpable, the
 * parent-death signal, the child subreaper, no_new_privs; unknown
 * options are EINVAL, never a silent success. Also nice values and
 * scheduling policies (kept and reported, sched_setattr too), the NTP
 * clock state (adjtimex, clock_adjtime), personality, and the calls
 * a container may not make (EPERM, as under docker).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static void check_simple_prctls(void)
{
	check(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1, "PR_GET_DUMPABLE is 1 by default");
	check(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0,
	      "PR_SET_DUMPABLE 0 reads back 0");
	check(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1,
	      "PR_SET_DUMPABLE 1 reads back 1");
	errno = 0;
	check(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0) == -1 && errno == EINVAL, "PR_SET_DUMPABLE 2: EINVAL");

	int sig = -1;
	check(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) == 0 && sig == 0, "no parent-death signal");
	check(prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0) == 0 &&
	      prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) == 0 && sig == SIGUSR2,
	      "PR_SET_PDEATHSIG reads back");
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	errno = 0;
	check(prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0) == -1 && errno == EINVAL,
	      "PR_SET_PDEATHSIG 65: EINVAL");

	check(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0, "no_new_privs starts off");
	errno = 0;
	check(prctl(0x7fff, 0, 0, 0, 0) == -1 && errno == EINVAL, "an unknown option: EINVAL");
}

/* The test becomes a subreaper; a middle child starts a grandchild that
 * asks for SIGKILL when its parent dies, then exits: the grandchild is
 * killed and reparented to us, so we can reap it. */
static void check_pdeathsig_and_subreaper(void)
{
	check(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "PR_SET_CHILD_SUBREAPER");
	int on = 0;
	check(prctl(PR_GET_CHILD_SUBREAPER, &on, 0, 0, 0) == 0 && on == 1,
	      "PR_GET_CHILD_SUBREAPER reads back");
	int ready[2];
	check(pipe(ready) == 0, "pipe");
	fflush(stdout);
	pid_t middle = fork();
	if (middle == 0) {
		pid_t grandchild = fork();
		if (grandchild == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
			/* Once for the middle child, once for the test. */
			pid_t me[2] = {getpid(), getpid()};
			if (write(ready[1], me, sizeof(me)) != sizeof(me))
				_exit(2);
			for (;;)
				sched_yield();
		}
		pid_t got;
		if (read(ready[0], &got, sizeof(got)) != sizeof(got))
			_exit(3);
		_exit(0);
	}
	pid_t grandchild = 0;
	check(read(ready[0], &grandchild, sizeof(grandchild)) == sizeof(grandchild),
	      "the grandchild is running");
	int status = 0;
	check(waitpid(middle, &status, 0) == middle && WIFEXITED(status), "the middle child exits");
	check(waitpid(grandchild, &status, 0) == grandchild && WIFSIGNALED(status) &&
	      WTERMSIG(status) == SIGKILL, "the orphan got its parent-death SIGKILL and came to us");
	close(ready[0]);
	close(ready[1]);
}

static void check_no_new_privs(void)
{
	errno = 0;
	check(prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0) == -1 && errno == EINVAL,
	      "PR_SET_NO_NEW_PRIVS 2: EINVAL");
	check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
	      prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "PR_SET_NO_NEW_PRIVS sticks");
	pid_t pid = fork();
	if (pid == 0)
		_exit(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 1);
	int status = 0;
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a child inherits no_new_privs");
}

static void check_sysinfo_procs(void)
{
	struct sysinfo during;
	int gate[2];
	check(pipe(gate) == 0, "pipe");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		_exit(read(gate[0], &c, 1) == 1 ? 0 : 1);
	}
	check(sysinfo(&during) == 0 && during.procs >= 2,
	      "sysinfo counts a new child in procs");
	check(write(gate[1], "x", 1) == 1, "release the child");
	waitpid(pid, NULL, 0);
	close(gate[0]);
	close(gate[1]);
}

static void check_priorities(void)
{
	errno = 0;
	int nice0 = getpriority(PRIO_PROCESS, 0);
	check(errno == 0 && nice0 == 0, "getpriority: nice 0");
	check(setpriority(PRIO_PROCESS, 0, 5) == 0 && getpriority(PRIO_PROCESS, 0) == 5,
	      "setpriority 5 reads back");
	check(setpriority(PRIO_PROCESS, 0, 100) == 0 && getpriority(PRIO_PROCESS, 0) == 19,
	      "nice is clamped to 19");
	errno = 0;
	check(setpriority(PRIO_PROCESS, 999999, 1) == -1 && errno == ESRCH, "unknown pid: ESRCH");
	errno = 0;
	check(setpriority(7, 0, 1) == -1 && errno == EINVAL, "bad which: EINVAL");
	pid_t pid = fork();
	if (pid == 0)
		_exit(getpriority(PRIO_PROCESS, 0) == 19 ? 0 : 1);
	int status = 0;
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a child inherits nice");
	setpriority(PRIO_PROCESS, 0, 0); /* root may lower it again */

	check(sched_getscheduler(0) == SCHED_OTHER, "policy SCHED_OTHER");
	struct sched_param sp = {.sched_priority = 0};
	check(sched_setscheduler(0, SCHED_BATCH, &sp) == 0 && sched_getscheduler(0) == SCHED_BATCH,
	      "SCHED_BATCH reads back");
	check(sched_setscheduler(0, SCHED_OTHER, &sp) == 0, "back to SCHED_OTHER");
	sp.sched_priority = 10;
	errno = 0;
	check(sched_setscheduler(0, SCHED_FIFO, &sp) == -1 && errno == EPERM,
	      "SCHED_FIFO without CAP_SYS_NICE: EPERM");
	errno = 0;
	check(sched_setscheduler(0, 77, &sp) == -1 && errno == EINVAL, "unknown policy: EINVAL");
	check(sched_get_priority_max(SCHED_FIFO) == 99 && sched_get_priority_min(SCHED_FIFO) == 1 &&
	      sched_get_priority_max(SCHED_OTHER) == 0, "priority ranges");
	check(sched_getparam(0, &sp) == 0 && sp.sched_priority == 0, "sched_getparam");
}

/* struct sched_attr's first version (the raw calls have no glibc
 * wrapper in bookworm). */
struct sched_attr0 {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

static void check_sched_attr(void)
{
	/* check_priorities left nice at 19: without CAP_SYS_NICE and with
	 * RLIMIT_NICE 0 (docker's default) it cannot go back down. */
	int nice = getpriority(PRIO_PROCESS, 0);
	struct sched_attr0 a;
	memset(&a, 0xff, sizeof(a));
	check(syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0) == 0 && a.size == sizeof(a) &&
	      a.policy == SCHED_OTHER && a.nice == nice && a.priority == 0,
	      "sched_getattr: SCHED_OTHER and the nice value");
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.policy = SCHED_BATCH;
	a.nice = nice;
	check(syscall(SYS_sched_setattr, 0, &a, 0) == 0 && sched_getscheduler(0) == SCHED_BATCH,
	      "sched_setattr: SCHED_BATCH");
	a.policy = SCHED_OTHER;
	check(syscall(SYS_sched_setattr, 0, &a, 0) == 0 && sched_getscheduler(0) == SCHED_OTHER,
	      "sched_setattr back to SCHED_OTHER");
	if (nice > 0) {
		a.nice = nice - 1;
		errno = 0;
		check(syscall(SYS_sched_setattr, 0, &a, 0) == -1 && errno == EPERM &&
		      getpriority(PRIO_PROCESS, 0) == nice,
		      "sched_setattr lowering nice past RLIMIT_NICE: EPERM");
		a.nice = nice;
	}
	a.policy = SCHED_FIFO;
	a.priority = 10;
	errno = 0;
	check(syscall(SYS_sched_setattr, 0, &a, 0) == -1 && errno == EPERM,
	      "sched_setattr SCHED_FIFO without CAP_SYS_NICE: EPERM");
	a.policy = SCHED_OTHER;
	a.priority = 0;
	errno = 0;
	check(syscall(SYS_sched_setattr, 0, &a, 1) == -1 && errno == EINVAL,
	      "sched_setattr flags: EINVAL");
	a.size = 40;
	errno = 0;
	check(syscall(SYS_sched_setattr, 0, &a, 0) == -1 && errno == E2BIG && a.size >= 48,
	      "sched_setattr too small: E2BIG and the kernel's size");
}

/* Reading the NTP state is allowed; changing it needs CAP_SYS_TIME. */
static void check_timex(void)
{
	struct timex tx;
	memset(&tx, 0, sizeof(tx));
	struct timeval now;
	gettimeofday(&now, NULL);
	int r = adjtimex(&tx);
	check(r >= 0 && r <= 5 && tx.tick == 10000 && tx.time.tv_sec >= now.tv_sec &&
	      tx.time.tv_sec <= now.tv_sec + 5, "adjtimex reads the clock state");
	tx.modes = ADJ_FREQUENCY;
	errno = 0;
	check(adjtimex(&tx) == -1 && errno == EPERM, "adjtimex ADJ_FREQUENCY: EPERM");
	memset(&tx, 0, sizeof(tx));
	check(syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx) >= 0 && tx.tick == 10000,
	      "clock_adjtime(CLOCK_REALTIME) reads");
	errno = 0;
	check(syscall(SYS_clock_adjtime, CLOCK_MONOTONIC, &tx) == -1 && errno == EOPNOTSUPP,
	      "clock_adjtime(CLOCK_MONOTONIC): EOPNOTSUPP");
	errno = 0;
	check(syscall(SYS_clock_adjtime, 10, &tx) == -1 && errno == EINVAL,
	      "clock_adjtime(bad clock): EINVAL");
}

static void check_personality_and_privileged(void)
{
	check(personality(0xffffffff) == PER_LINUX, "personality: PER_LINUX");
	check(personality(PER_LINUX) == PER_LINUX, "personality(PER_LINUX)");
	errno = 0;
	check(mount("none", "/tmp", "tmpfs", 0, NULL) == -1 && errno == EPERM,
	      "mount without CAP_SYS_ADMIN: EPERM");
	errno = 0;
	check(sethostname("x", 1) == -1 && errno == EPERM, "sethostname: EPERM");
	errno = 0;
	check(unshare(CLONE_NEWNS) == -1 && errno == EPERM, "unshare(CLONE_NEWNS): EPERM");
	/* What docker's default seccomp profile refuses, whatever the
	 * arguments: keyrings, NUMA policy, other processes' memory. */
	static const long refused[] = {SYS_keyctl, SYS_add_key, SYS_mbind, SYS_get_mempolicy,
	                               SYS_process_vm_readv, SYS_kcmp, SYS_name_to_handle_at,
	                               SYS_userfaultfd, SYS_uselib, SYS_ustat};
	int eperm = 0;
	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		errno = 0;
		if (syscall(refused[i], 0, 0, 0, 0, 0, 0) == -1 && errno == EPERM)
			eperm++;
		else
			printf("  syscall %ld: not EPERM (errno %d)\n", refused[i], errno);
	}
	check(eperm == (int)(sizeof(refused) / sizeof(refused[0])),
	      "calls docker's seccomp profile refuses: EPERM");
}

int main(void)
{
	check_simple_prctls();
	check_pdeathsig_and_subreaper();
	check_no_new_privs();
	check_sysinfo_procs();
	check_priorities();
	check_sched_attr();
	check_timex();
	check_personality_and_privileged();
	return check_done("procattr");
}
