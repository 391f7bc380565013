/*
 * sessions.c: process groups and sessions as shells, `timeout` and init
 * helpers use them: setpgid rules, setsid, kill(0) and kill(-pgid)
 * reaching exactly one group, wait4/waitpid by group, and the terminal
 * calls answering ENOTTY on a pipe.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"

/* A child that waits (yielding) until it is killed or told to exit via
 * the pipe; returns its pid. */
static pid_t spawn_waiter(int gate_read, int new_group)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (new_group > 0)
			setpgid(0, new_group == 1 ? 0 : new_group);
		char c;
		_exit(read(gate_read, &c, 1) == 1 ? 0 : 1);
	}
	return pid;
}

static void check_groups(void)
{
	pid_t me = getpid();
	pid_t pgrp = getpgrp();
	check(getpgid(0) == pgrp && getsid(0) > 0, "getpgid(0), getsid(0)");

	int gate[2];
	check(pipe(gate) == 0, "pipe");
	pid_t a = spawn_waiter(gate[0], 0);
	check(setpgid(a, a) == 0 && getpgid(a) == a, "setpgid(child, child): a new group");
	pid_t b = spawn_waiter(gate[0], 0);
	check(setpgid(b, a) == 0 && getpgid(b) == a, "setpgid(other child, a): joins a's group");
	errno = 0;
	check(setpgid(a, 999999) == -1 && errno == EPERM, "setpgid into a missing group: EPERM");
	errno = 0;
	check(setpgid(999999, 0) == -1 && errno == ESRCH, "setpgid of a stranger: ESRCH");
	errno = 0;
	check(setpgid(0, -1) == -1 && errno == EINVAL, "setpgid negative pgid: EINVAL");
	check(getsid(a) == getsid(0), "children share our session");

	/* kill(-a) reaches a and b and nobody else. */
	check(kill(-a, SIGTERM) == 0, "kill(-pgid, SIGTERM)");
	int status, reaped = 0;
	for (int i = 0; i < 2; i++) {
		pid_t got = waitpid(-a, &status, 0);
		if ((got == a || got == b) && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
			reaped++;
	}
	check(reaped == 2, "both members died of SIGTERM, reaped by waitpid(-pgid)");
	errno = 0;
	check(waitpid(-a, &status, WNOHANG) == -1 && errno == ECHILD,
	      "no child left in that group: ECHILD");
	errno = 0;
	check(kill(-a, 0) == -1 && errno == ESRCH, "kill(-pgid) of an empty group: ESRCH");
	check(getpid() == me, "we are still alive");

	/* waitpid(0): children in our own group only. */
	pid_t c = spawn_waiter(gate[0], 1);
	pid_t d = spawn_waiter(gate[0], 0);
	for (int i = 0; i < 50 && getpgid(c) != c; i++)
		sched_yield();
	check(getpgid(c) == c && getpgid(d) == pgrp, "one child in its own group, one in ours");
	check(write(gate[1], "xx", 2) == 2, "release both");
	check(waitpid(0, &status, 0) == d, "waitpid(0) reaps the one in our group");
	check(waitpid(-1, &status, 0) == c, "waitpid(-1) reaps the other");
	close(gate[0]);
	close(gate[1]);
}

static void check_setsid(void)
{
	int sync_pipe[2];
	check(pipe(sync_pipe) == 0, "pipe");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		pid_t sid = setsid();
		int ok = sid == getpid() && getsid(0) == sid && getpgrp() == sid;
		errno = 0;
		ok = ok && setsid() == -1 && errno == EPERM; /* a group leader now */
		errno = 0;
		ok = ok && tcgetpgrp(0) == -1; /* the new session has no terminal */
		_exit(ok ? 0 : 1);
	}
	int status;
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "setsid in a child: leader of a new session and group, no terminal");
	close(sync_pipe[0]);
	close(sync_pipe[1]);
	if (getpid() == getpgrp()) {
		errno = 0;
		check(setsid() == -1 && errno == EPERM, "setsid as a group leader: EPERM");
	}
}

static void check_terminal_calls(void)
{
	int p[2];
	check(pipe(p) == 0, "pipe");
	errno = 0;
	check(tcgetpgrp(p[0]) == -1 && errno == ENOTTY, "tcgetpgrp on a pipe: ENOTTY");
	errno = 0;
	check(tcsetpgrp(p[0], getpgrp()) == -1 && errno == ENOTTY, "tcsetpgrp on a pipe: ENOTTY");
	pid_t sid;
	errno = 0;
	check(ioctl(p[0], TIOCGSID, &sid) == -1 && errno == ENOTTY, "TIOCGSID on a pipe: ENOTTY");
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	check_groups();
	check_setsid();
	check_terminal_calls();
	return check_done("sessions");
}
