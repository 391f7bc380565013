/*
 * sessions.c: process groups and sessions as shells, `timeout` and init
 * helpers use them: setpgid rules, setsid, kill(0) and kill(-pgid)
 * reaching exactly one group, wait4/waitpid by group, the terminal
 * calls answering ENOTTY on a pipe, and group and session belonging to
 * the process: set from a second thread, seen by every thread, by the
 * parent and in /proc.
 */
#define _GNU_SOURCE
#include <pthread.h>
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


/* Fields 5 and 6 of /proc/<pid>/stat: process group and session. */
static int stat_ids(pid_t pid, int *pgrp, int *sid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	const char *end = stat_after_comm(path, buf, sizeof(buf));
	char state;
	int ppid;
	return end && sscanf(end, " %c %d %d %d", &state, &ppid, pgrp, sid) == 4 ? 0 : -1;
}

/* The second thread of a child process, and what it reports. */
struct thread_work {
	int use_setsid;     /* setsid, else setpgid(0, 0) then setpgid(getpid(), 0) */
	int gate;           /* read end: the main thread releases us */
	int ok;
	pid_t grandchild;   /* forked by this thread (after setsid) */
};

static void *second_thread(void *arg)
{
	struct thread_work *w = arg;
	pid_t me = getpid();
	if (w->use_setsid) {
		w->ok = setsid() == me && getsid(0) == me && getpgrp() == me;
		fflush(stdout);
		w->grandchild = fork();
		if (w->grandchild == 0) {
			char c;
			_exit(read(w->gate, &c, 1) >= 0 ? 0 : 1);
		}
	} else {
		w->ok = setpgid(0, 0) == 0 && getpgrp() == me && setpgid(me, 0) == 0;
	}
	char c;
	if (read(w->gate, &c, 1) != 1) /* stay alive while the main thread looks */
		w->ok = 0;
	return NULL;
}

/* In a child: a second thread changes the ids, the main thread must see
 * the process's new ones while that thread still runs. Exit code = the
 * failed step. */
static int thread_changes_ids(int use_setsid, int to_parent, int from_parent)
{
	int gate[2];
	if (pipe(gate) != 0)
		return 1;
	struct thread_work w = { use_setsid, gate[0], 0, 0 };
	pthread_t t;
	if (pthread_create(&t, NULL, second_thread, &w) != 0)
		return 2;
	pid_t me = getpid();
	for (int i = 0; i < 100000 && getpgrp() != me; i++)
		sched_yield();
	int step = 0;
	if (getpgrp() != me || getpgid(0) != me || getpgid(me) != me)
		step = 3; /* the main thread does not see the new group */
	else if (use_setsid && (getsid(0) != me || getsid(me) != me))
		step = 4; /* nor the new session */
	int pgrp = 0, sid = 0;
	if (!step && (stat_ids(me, &pgrp, &sid) != 0 || pgrp != me || (use_setsid && sid != me)))
		step = 5; /* /proc/self/stat disagrees */
	if (!step && use_setsid) {
		for (int i = 0; i < 100000 && w.grandchild == 0; i++)
			sched_yield();
		if (w.grandchild <= 0 || getsid(w.grandchild) != me)
			step = 6; /* the thread's child is not in the new session */
		else if (setpgid(w.grandchild, w.grandchild) != 0 || getpgid(w.grandchild) != w.grandchild)
			step = 7; /* a child forked by another thread is still ours */
	}
	if (write(to_parent, "r", 1) != 1) /* the parent checks from outside now */
		step = step ? step : 8;
	char c;
	if (read(from_parent, &c, 1) != 1)
		step = step ? step : 9;
	if (write(gate[1], "xx", 2) != 2 || pthread_join(t, NULL) != 0)
		step = step ? step : 10;
	if (!step && !w.ok)
		step = 11; /* the thread's own view or call failed */
	if (w.grandchild > 0)
		waitpid(w.grandchild, NULL, 0);
	return step;
}

static void check_ids_from_a_thread(int use_setsid, const char *what)
{
	int up[2], down[2];
	check(pipe(up) == 0 && pipe(down) == 0, "pipes");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(thread_changes_ids(use_setsid, up[1], down[0]));
	char c;
	int ready = read(up[0], &c, 1) == 1;
	int pgrp = 0, sid = 0;
	int outside = ready && getpgid(pid) == pid && stat_ids(pid, &pgrp, &sid) == 0 && pgrp == pid &&
		      (!use_setsid || (getsid(pid) == pid && sid == pid));
	int status = 0;
	check(write(down[1], "g", 1) == 1 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, what);
	if (WIFEXITED(status) && WEXITSTATUS(status))
		printf("     (failed step %d)\n", WEXITSTATUS(status));
	check(outside, use_setsid ? "the parent sees the child's new session and group (getsid, getpgid, stat)"
				  : "the parent sees the child's new group (getpgid, stat)");
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
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
	check_ids_from_a_thread(0, "setpgid from a second thread: the main thread sees the process's group");
	check_ids_from_a_thread(1, "setsid from a second thread: the main thread sees the process's session, "
				   "its child (forked by that thread) is the process's");
	check_terminal_calls();
	return check_done("sessions");
}
