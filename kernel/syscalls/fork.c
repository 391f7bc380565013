/*
 * fork.c: fork, vfork, clone, clone3 and wait4. The work is in
 * proc/fork.c; here are the argument checks and the waiting for
 * children (any thread of a process may wait for the children of any
 * of its threads, as on Linux).
 */
#include "lib/string.h"
#include "mm/uaccess.h"
#include "mm/vma.h"
#include "proc/fork.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "proc/wait.h"
#include "syscalls/common.h"
#include "syscalls/cputime.h"
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

/* struct clone_args of clone3 (include/uapi/linux/sched.h). */
struct linux_clone_args {
	u64 flags;
	u64 pidfd;
	u64 child_tid;
	u64 parent_tid;
	u64 exit_signal;
	u64 stack;
	u64 stack_size;
	u64 tls;
	u64 set_tid;
	u64 set_tid_size;
	u64 cgroup;
};
#define CLONE_ARGS_SIZE_VER0 64
_Static_assert(sizeof(struct linux_clone_args) == 88, "clone_args layout");

long sys_clone3(const struct syscall_args *args)
{
	u64 size = args->a[1];
	struct linux_clone_args ca;
	memset(&ca, 0, sizeof(ca));
	if (size < CLONE_ARGS_SIZE_VER0 || size > PAGE_SIZE)
		return -EINVAL;
	if (copyin(&ca, args->a[0], MIN(size, (u64)sizeof(ca))) != 0)
		return -EFAULT;
	/* A bigger struct from a newer libc: the rest must be zero. */
	for (u64 off = sizeof(ca); off < size; off += 8) {
		u64 word = 0;
		if (copyin(&word, args->a[0] + off, MIN((u64)8, size - off)) != 0)
			return -EFAULT;
		if (word)
			return -E2BIG;
	}
	if ((ca.flags & CLONE_CSIGNAL) || ca.exit_signal > NSIG)
		return -EINVAL; /* the exit signal has its own field here */
	/* pidfds, chosen tids and cgroups: not supported (the pidfd field is
	 * read only with CLONE_PIDFD; glibc fills it anyway). */
	if (ca.set_tid || ca.set_tid_size || ca.cgroup || (ca.flags & CLONE_PIDFD))
		return -EINVAL;
	if ((ca.stack == 0) != (ca.stack_size == 0) || ca.stack_size > USER_TOP ||
	    ca.stack > USER_TOP - ca.stack_size)
		return -EINVAL;
	u64 sp = ca.stack ? ca.stack + ca.stack_size : 0;
	return proc_clone(args->tf, ca.flags | ca.exit_signal, sp, ca.parent_tid, ca.child_tid,
	                  ca.tls);
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
		/* Children are processes: their leaders, whose parent is a
		 * thread group leader of ours. */
		if (c->tid != c->pid || !c->parent || c->parent->group != self->group ||
		    !wait_matches(c, pid))
			continue;
		have_child = true;
		if (!c->exited)
			continue;
		s32 status = c->wait_status;
		if (ustatus && copyout(ustatus, &status, sizeof(status)) != 0)
			return -EFAULT;
		/* Linux: the child's own time and that of its reaped children. */
		if (urusage) {
			const struct thread_group *g = c->group;
			struct cputime both = cputime_sum(cputime_process(g), cputime_children(g));
			struct rusage_counts counts = rusage_sum(rusage_process(g), rusage_children(g));
			u64 peak = rusage_maxrss(g, NULL);
			u64 children_peak = rusage_children_maxrss(g);
			struct linux_rusage ru;
			rusage_fill(&ru, both, counts, peak > children_peak ? peak : children_peak);
			if (copyout(urusage, &ru, sizeof(ru)) != 0)
				return -EFAULT;
		}
		cputime_reap(self->group, c->group);
		rusage_reap(self->group, c->group);
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
		wait_prepare(&self->group->child_wait, &e);
		ret = reap_one(self, pid, ustatus, urusage);
		if (ret != 0 || (options & WNOHANG))
			break;
		ret = wait_sleep(WAIT_FOREVER, true);
		if (ret) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	wait_finish(&e);
	return ret;
}
