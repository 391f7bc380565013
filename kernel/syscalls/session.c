/*
 * session.c: process groups and sessions: setpgid, getpgid, getpgrp,
 * setsid, getsid, and the terminal's foreground group (TIOCGPGRP,
 * TIOCSPGRP, TIOCGSID, TIOCSCTTY, TIOCNOTTY on the console).
 *
 * Linux's rules: a process may move itself or a child that has not
 * exec'd yet, within its session, into a new group named after the
 * process or an existing group of the session; a group leader cannot
 * start a session. kill and wait4 use the groups (syscalls/signal.c,
 * syscalls/fork.c). Stop signals are still ignored (nobody could
 * continue a stopped task), so there is no SIGTTIN/SIGTTOU for
 * background groups.
 *
 * Trust: pids and pgids are raw user values, looked up in the task list.
 */
#include "syscalls/session.h"

#include "fs/vfs.h"
#include "mm/uaccess.h"
#include "proc/cred.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/capability.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/termios.h"

/* The console as controlling terminal: the session it belongs to (the
 * first task's, at boot; 0 = none) and its foreground group. */
static int g_tty_sid = -1;
static int g_tty_pgrp;

static struct task *live_task(int pid)
{
	struct task *t = task_find(pid);
	return t && !t->exited ? t : NULL;
}

bool pgrp_exists_in_session(int pgid, int sid)
{
	for (struct task *t = task_first(); t; t = t->next) {
		if (!t->exited && t->pgid == pgid && t->sid == sid)
			return true;
	}
	return false;
}

/* Group and session belong to the process: every thread of t's keeps the
 * same pair, so that any thread (and anyone else) reads the process's. */
static void set_process_ids(struct task *t, int pgid, int sid)
{
	struct list_node *head = &t->group->threads;
	for (struct list_node *l = head->next; l != head; l = l->next) {
		struct task *thread = list_entry(l, struct task, group_link);
		thread->pgid = pgid;
		thread->sid = sid;
	}
}

long sys_setpgid(const struct syscall_args *args)
{
	struct task *self = current_task();
	int pid = arg_int(args->a[0]);
	int pgid = arg_int(args->a[1]);
	if (pgid < 0)
		return -EINVAL;
	struct task *t = pid == 0 ? self : live_task(pid);
	/* Processes, not threads: the caller's own process (from any of its
	 * threads) or a child of it (forked by any of its threads). */
	bool own = t && t->group == self->group;
	if (!t || (!own && t->parent != self->group->leader))
		return -ESRCH;
	if (!own && t->did_exec)
		return -EACCES;
	if (t->sid != self->sid || t->pid == t->sid)
		return -EPERM; /* another session, or a session leader */
	if (pgid == 0)
		pgid = t->pid;
	if (pgid != t->pid && !pgrp_exists_in_session(pgid, self->sid))
		return -EPERM;
	set_process_ids(t, pgid, t->sid);
	return 0;
}

long sys_getpgid(const struct syscall_args *args)
{
	int pid = arg_int(args->a[0]);
	struct task *t = pid == 0 ? current_task() : live_task(pid);
	return t ? t->pgid : -ESRCH;
}

long sys_getpgrp(const struct syscall_args *args)
{
	(void)args;
	return current_task()->pgid;
}

long sys_getsid(const struct syscall_args *args)
{
	int pid = arg_int(args->a[0]);
	struct task *t = pid == 0 ? current_task() : live_task(pid);
	return t ? t->sid : -ESRCH;
}

long sys_setsid(const struct syscall_args *args)
{
	(void)args;
	struct task *self = current_task();
	/* A group leader, or anyone whose pid names a group, cannot. */
	for (struct task *t = task_first(); t; t = t->next) {
		if (!t->exited && t->pgid == self->pid)
			return -EPERM;
	}
	set_process_ids(self, self->pid, self->pid);
	return self->pid; /* a new session has no controlling terminal */
}

/* ---- the console's foreground group ---- */

static void tty_init_once(void)
{
	if (g_tty_sid >= 0)
		return;
	struct task *first = task_find(1);
	g_tty_sid = first ? first->sid : 0;
	g_tty_pgrp = first ? first->pgid : 0;
}

static bool is_tty(struct file *f)
{
	struct linux_termios t;
	return vfs_ioctl(f, TCGETS, &t, 0) == 0;
}

/* The caller's controlling terminal is the console only if its session
 * owns it. */
static bool owns_tty(const struct task *self)
{
	tty_init_once();
	return g_tty_sid != 0 && self->sid == g_tty_sid;
}

static long put_int(u64 uaddr, int value)
{
	return copyout(uaddr, &value, sizeof(value)) == 0 ? 0 : -EFAULT;
}

long tty_session_ioctl(struct file *f, u32 cmd, u64 arg)
{
	struct task *self = current_task();
	if (!is_tty(f))
		return -ENOTTY;
	int pgrp;
	switch (cmd) {
	case TIOCGPGRP:
		return owns_tty(self) ? put_int(arg, g_tty_pgrp) : -ENOTTY;
	case TIOCGSID:
		return owns_tty(self) ? put_int(arg, g_tty_sid) : -ENOTTY;
	case TIOCSPGRP:
		if (!owns_tty(self))
			return -ENOTTY;
		if (copyin(&pgrp, arg, sizeof(pgrp)) != 0)
			return -EFAULT;
		if (pgrp < 0)
			return -EINVAL;
		if (!pgrp_exists_in_session(pgrp, self->sid))
			return -EPERM;
		g_tty_pgrp = pgrp;
		return 0;
	case TIOCSCTTY:
		tty_init_once();
		if (self->sid == g_tty_sid)
			return 0;
		if (self->pid != self->sid)
			return -EPERM; /* only a session leader acquires one */
		if (g_tty_sid != 0 && !(arg == 1 && capable(CAP_SYS_ADMIN)))
			return -EPERM; /* another session has it */
		g_tty_sid = self->sid;
		g_tty_pgrp = self->pgid;
		return 0;
	case TIOCNOTTY:
		if (!owns_tty(self))
			return -ENOTTY;
		if (self->pid == self->sid) {
			g_tty_sid = 0; /* the leader gives it up for the session */
			g_tty_pgrp = 0;
		}
		return 0;
	default:
		return -ENOTTY;
	}
}
