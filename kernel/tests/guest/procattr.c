/*
 * procattr.c: per-process attributes: the prctl options that runtimes,
 * init helpers (tini) and privilege-dropping tools use: dumpable, the
 * parent-death signal, the child subreaper, no_new_privs; unknown
 * options are EINVAL, never a silent success. Also nice values and
 * scheduling policies (kept and reported), personality, and the calls
 * a container may not make (EPERM, as under docker).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
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
}

int main(void)
{
	check_simple_prctls();
	check_pdeathsig_and_subreaper();
	check_no_new_privs();
	check_sysinfo_procs();
	check_priorities();
	check_personality_and_privileged();
	return check_done("procattr");
}
