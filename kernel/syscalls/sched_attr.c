/*
 * sched_attr.c: scheduling attributes and personality: getpriority,
 * setpriority, sched_{get,set}{param,scheduler}, the priority range
 * calls, sched_rr_get_interval, personality.
 *
 * The values are kept per task and reported back with Linux's rules
 * (permissions, ranges, errnos), but the round-robin scheduler gives
 * every task the same share whatever its nice value: docs/syscalls.md
 * lists this. Real-time policies need CAP_SYS_NICE, which a container
 * does not have by default: EPERM, as under docker.
 */
#include "mm/uaccess.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/misc.h"
#include "syscalls/linux_abi/time.h"

#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2
#define NICE_MIN (-20)
#define NICE_MAX 19

#define SCHED_OTHER 0
#define SCHED_FIFO 1
#define SCHED_RR 2
#define SCHED_BATCH 3
#define SCHED_IDLE 5
#define SCHED_DEADLINE 6
#define SCHED_RESET_ON_FORK 0x40000000u

#define PER_QUERY 0xffffffffu

/* The task a pid argument names: 0 is the caller. */
static struct task *task_of(int pid)
{
	if (pid == 0)
		return current_task();
	struct task *t = pid > 0 ? task_find(pid) : NULL;
	return t && !t->exited ? t : NULL;
}

/* Does which/who select t? */
static bool prio_selects(const struct task *t, int which, int who)
{
	const struct task *self = current_task();
	switch (which) {
	case PRIO_PROCESS:
		return t->pid == (who ? who : self->pid);
	case PRIO_PGRP:
		return t->pgid == (who ? who : self->pgid);
	default: /* PRIO_USER */
		return t->uid == (u32)(who ? who : (int)self->uid);
	}
}

/* Linux's set_one_prio_perm: the caller's euid is the target's uid or
 * euid (or CAP_SYS_NICE, which the bounding set never holds). */
static bool may_renice(const struct task *t)
{
	const struct task *self = current_task();
	return self->euid == t->uid || self->euid == t->euid;
}

/* Lowering nice below the current value needs RLIMIT_NICE room (or
 * CAP_SYS_NICE). */
static bool may_lower(const struct task *t, int nice)
{
	u64 want = (u64)(20 - nice);
	return nice >= t->nice || want <= current_task()->rlimits[RLIMIT_NICE].rlim_cur;
}

long sys_getpriority(const struct syscall_args *args)
{
	int which = arg_int(args->a[0]);
	int who = arg_int(args->a[1]);
	if (which < PRIO_PROCESS || which > PRIO_USER || who < 0)
		return -EINVAL;
	long best = -ESRCH;
	for (struct task *t = task_first(); t; t = t->next) {
		if (t->exited || !prio_selects(t, which, who))
			continue;
		long prio = 20 - t->nice; /* the raw syscall's 1..40 form */
		if (prio > best)
			best = prio;
	}
	return best;
}

long sys_setpriority(const struct syscall_args *args)
{
	int which = arg_int(args->a[0]);
	int who = arg_int(args->a[1]);
	int nice = arg_int(args->a[2]);
	if (which < PRIO_PROCESS || which > PRIO_USER || who < 0)
		return -EINVAL;
	nice = nice < NICE_MIN ? NICE_MIN : nice > NICE_MAX ? NICE_MAX : nice;
	long err = -ESRCH;
	for (struct task *t = task_first(); t; t = t->next) {
		if (t->exited || !prio_selects(t, which, who))
			continue;
		if (!may_renice(t)) {
			err = -EPERM;
			continue;
		}
		if (!may_lower(t, nice)) {
			err = -EACCES;
			continue;
		}
		t->nice = nice;
		if (err == -ESRCH)
			err = 0;
	}
	return err;
}

static bool policy_known(u32 policy)
{
	return policy == SCHED_OTHER || policy == SCHED_FIFO || policy == SCHED_RR ||
	       policy == SCHED_BATCH || policy == SCHED_IDLE || policy == SCHED_DEADLINE;
}

static long set_policy(struct task *t, u32 policy, u64 uparam, bool keep_policy)
{
	if (uparam == 0)
		return -EINVAL;
	s32 prio;
	if (copyin(&prio, uparam, sizeof(prio)) != 0)
		return -EFAULT;
	bool reset = policy & SCHED_RESET_ON_FORK;
	policy &= ~SCHED_RESET_ON_FORK;
	if (keep_policy)
		policy = t->sched_policy;
	if (!policy_known(policy))
		return -EINVAL;
	bool realtime = policy == SCHED_FIFO || policy == SCHED_RR;
	if (realtime ? (prio < 1 || prio > 99) : prio != 0)
		return -EINVAL;
	if (!may_renice(t))
		return -EPERM;
	if (realtime || policy == SCHED_DEADLINE)
		return -EPERM; /* CAP_SYS_NICE: outside the bounding set */
	t->sched_policy = policy;
	if (!keep_policy)
		t->sched_reset_on_fork = reset;
	return 0;
}

/* The task a sched_* pid argument names: -EINVAL for a negative pid,
 * -ESRCH when there is none. */
static long sched_target(u64 arg, struct task **out)
{
	int pid = arg_int(arg);
	if (pid < 0)
		return -EINVAL;
	*out = task_of(pid);
	return *out ? 0 : -ESRCH;
}

long sys_sched_setscheduler(const struct syscall_args *args)
{
	struct task *t;
	long err = sched_target(args->a[0], &t);
	return err ? err : set_policy(t, (u32)args->a[1], args->a[2], false);
}

long sys_sched_setparam(const struct syscall_args *args)
{
	struct task *t;
	long err = sched_target(args->a[0], &t);
	return err ? err : set_policy(t, 0, args->a[1], true);
}

long sys_sched_getscheduler(const struct syscall_args *args)
{
	struct task *t;
	long err = sched_target(args->a[0], &t);
	if (err)
		return err;
	return t->sched_policy | (t->sched_reset_on_fork ? SCHED_RESET_ON_FORK : 0);
}

long sys_sched_getparam(const struct syscall_args *args)
{
	struct task *t;
	long err = args->a[1] == 0 ? -EINVAL : sched_target(args->a[0], &t);
	if (err)
		return err;
	s32 prio = 0; /* no real-time task can exist */
	return copyout(args->a[1], &prio, sizeof(prio)) == 0 ? 0 : -EFAULT;
}

long sys_sched_get_priority_max(const struct syscall_args *args)
{
	u32 policy = (u32)args->a[0];
	if (!policy_known(policy))
		return -EINVAL;
	return policy == SCHED_FIFO || policy == SCHED_RR ? 99 : 0;
}

long sys_sched_get_priority_min(const struct syscall_args *args)
{
	u32 policy = (u32)args->a[0];
	if (!policy_known(policy))
		return -EINVAL;
	return policy == SCHED_FIFO || policy == SCHED_RR ? 1 : 0;
}

/* No SCHED_RR task can exist: every task answers a zero interval, as
 * Linux does for a policy without a round-robin slice. */
long sys_sched_rr_get_interval(const struct syscall_args *args)
{
	struct task *t;
	long err = sched_target(args->a[0], &t);
	if (err)
		return err;
	struct linux_timespec ts = {0, 0};
	return copyout(args->a[1], &ts, sizeof(ts)) == 0 ? 0 : -EFAULT;
}

/* personality: 0xffffffff reads it, PER_LINUX (0) sets it. docker's
 * default seccomp profile refuses every value but those two and three
 * (PER_LINUX32, UNAME26 and both) with EPERM; those three would change
 * what uname reports, which nothing here does, so they are EPERM too. */
long sys_personality(const struct syscall_args *args)
{
	u32 next = (u32)args->a[0];
	if (next != PER_QUERY && next != 0)
		return -EPERM;
	return 0; /* PER_LINUX */
}
