/*
 * fork.c: fork, vfork, clone (processes only, no threads) and wait4.
 * The work is in proc/fork.c; here are the argument checks and the
 * waiting for children.
 */
#include "mm/uaccess.h"
#include "proc/fork.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "proc/wait.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/signal.h"
#include "syscalls/linux_abi/time.h"

#define WNOHANG 0x00000001
#define WUNTRACED 0x00000002
#define WCONTINUED 0x00000008
#define WNOTHREAD 0x20000000
#define WALL 0x40000000
#define WCLONE 0x80000000u

long sys_fork(const struct syscall_args *args)
{
	return proc_clone(args->tf, SIGCHLD, 0, 0, 0, 0);
}

long sys_vfork(const struct syscall_args *args)
{
	return proc_clone(args->tf, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

/* x86-64 argument order: flags, newsp, parent_tid, child_tid, tls. */
long sys_clone(const struct syscall_args *args)
{
	return proc_clone(args->tf, args->a[0], args->a[1], args->a[2], args->a[3], args->a[4]);
}

/* Does child c match wait4's pid argument: pid > 0 that child, -1 any
 * child, 0 a child in the caller's group, < -1 a child in group -pid. */
static bool wait_matches(const struct task *c, int pid)
{
	if (pid > 0)
		return c->pid == pid;
	if (pid == -1)
		return true;
	int pgid = pid == 0 ? current_task()->pgid : -pid;
	return c->pgid == pgid;
}

/* One pass over the children: the pid of a reaped zombie, 0 if there
 * are matching children but none has exited, -ECHILD if none match. */
static long reap_one(struct task *self, int pid, u64 ustatus, u64 urusage)
{
	bool have_child = false;
	for (struct task *c = task_first(); c; c = c->next) {
		if (c->parent != self || !wait_matches(c, pid))
			continue;
		have_child = true;
		if (!c->exited)
			continue;
		s32 status = c->wait_status;
		if (ustatus && copyout(ustatus, &status, sizeof(status)) != 0)
			return -EFAULT;
		if (urusage) {
			struct linux_rusage ru = {0};
			if (copyout(urusage, &ru, sizeof(ru)) != 0)
				return -EFAULT;
		}
		int reaped = c->pid;
		task_free(c);
		return reaped;
	}
	return have_child ? 0 : -ECHILD;
}

long sys_wait4(const struct syscall_args *args)
{
	struct task *self = current_task();
	int pid = arg_int(args->a[0]);
	u64 ustatus = args->a[1];
	u32 options = (u32)args->a[2];
	u64 urusage = args->a[3];
	if (options & ~(u32)(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE))
		return -EINVAL;
	struct wait_entry e;
	wait_entry_init(&e);
	long ret;
	for (;;) {
		/* A child's exit wakes child_wait (proc/exit.c). */
		wait_prepare(&self->child_wait, &e);
		ret = reap_one(self, pid, ustatus, urusage);
		if (ret != 0 || (options & WNOHANG))
			break;
		ret = wait_sleep(WAIT_FOREVER, true);
		if (ret)
			break;
	}
	wait_finish(&e);
	return ret;
}
