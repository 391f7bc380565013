/*
 * procattr.c: per-process attributes: the prctl options that runtimes,
 * init helpers (tini) and privilege-dropping tools use: dumpable, the
 * parent-death signal, the child subreaper, no_new_privs; unknown
 * options are EINVAL, never a silent success.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/prctl.h>
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

int main(void)
{
	check_simple_prctls();
	check_pdeathsig_and_subreaper();
	check_no_new_privs();
	check_sysinfo_procs();
	return check_done("procattr");
}
