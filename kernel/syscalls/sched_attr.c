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

/* struct sched_attr (include/uapi/linux/sched/types.h): 48 bytes in its
 * first version, 56 with the utilisation clamps. */
struct linux_sched_attr {
	u32 size;
	u32 sched_policy;
	u64 sched_flags;
	s32 sched_nice;
	u32 sched_priority;
	u64 sched_runtime;
	u64 sched_deadline;
	u64 sched_period;
	u32 sched_util_min;
	u32 sched_util_max;
};
_Static_assert(sizeof(struct linux_sched_attr) == 56, "struct sched_attr is 56 bytes");
#define SCHED_ATTR_SIZE_VER0 48

#define SCHED_FLAG_RESET_ON_FORK 0x01
#define SCHED_FLAG_RECLAIM 0x02
#define SCHED_FLAG_DL_OVERRUN 0x04
#define SCHED_FLAG_KEEP_POLICY 0x08
#define SCHED_FLAG_KEEP_PARAMS 0x10
#define SCHED_FLAG_UTIL_CLAMP 0x60
#define SCHED_FLAG_ALL 0x7f

/* Read a sched_attr of the size the caller says (Linux's
 * sched_copy_attr): 0 means the first version; a smaller one is E2BIG
 * with our size written back; bytes beyond ours must be zero. */
static long sched_attr_copyin(u64 uattr, struct linux_sched_attr *attr)
{
	u32 size;
	if (copyin(&size, uattr, sizeof(size)) != 0)
		return -EFAULT;
	if (size == 0)
		size = SCHED_ATTR_SIZE_VER0;
	if (size < SCHED_ATTR_SIZE_VER0 || size > PAGE_SIZE)
		goto too_big;
	for (u32 off = sizeof(*attr); off < size; off++) {
		u8 byte;
		if (copyin(&byte, uattr + off, 1) != 0)
			return -EFAULT;
		if (byte)
			goto too_big;
	}
	if (copyin(attr, uattr, MIN(size, (u32)sizeof(*attr))) != 0)
		return -EFAULT;
	attr->size = size;
	return 0;
too_big:
	size = sizeof(*attr);
	return copyout(uattr, &size, sizeof(size)) == 0 ? -E2BIG : -EFAULT;
}

/* sched_setattr(pid, attr, flags): the policy and nice value in one
 * call, with sched_setscheduler's and setpriority's rules. Deadline and
 * real-time policies need CAP_SYS_NICE (EPERM); utilisation clamps are
 * not supported (EOPNOTSUPP, as on a kernel without them). */
long sys_sched_setattr(const struct syscall_args *args)
{
	struct linux_sched_attr attr;
	struct task *t;
	if (args->a[1] == 0 || args->a[2] != 0 || arg_int(args->a[0]) < 0)
		return -EINVAL;
	long err = sched_attr_copyin(args->a[1], &attr);
	if (err)
		return err;
	err = sched_target(args->a[0], &t);
	if (err)
		return err;
	if (attr.sched_flags & ~(u64)SCHED_FLAG_ALL)
		return -EINVAL;
	u32 policy = (attr.sched_flags & SCHED_FLAG_KEEP_POLICY) ? t->sched_policy
	                                                          : attr.sched_policy;
	if (!policy_known(policy))
		return -EINVAL;
	bool realtime = policy == SCHED_FIFO || policy == SCHED_RR;
	if (realtime ? (attr.sched_priority < 1 || attr.sched_priority > 99)
	             : attr.sched_priority != 0)
		return -EINVAL;
	if (!realtime && policy != SCHED_DEADLINE &&
	    (attr.sched_nice < NICE_MIN || attr.sched_nice > NICE_MAX))
		return -EINVAL;
	if (!may_renice(t))
		return -EPERM;
	if (realtime || policy == SCHED_DEADLINE)
		return -EPERM; /* CAP_SYS_NICE: outside the bounding set */
	if (attr.sched_flags & SCHED_FLAG_UTIL_CLAMP)
		return -EOPNOTSUPP;
	bool keep_params = attr.sched_flags & SCHED_FLAG_KEEP_PARAMS;
	if (!keep_params && !may_lower(t, attr.sched_nice))
		return -EPERM;
	t->sched_policy = policy;
	t->sched_reset_on_fork = attr.sched_flags & SCHED_FLAG_RESET_ON_FORK;
	if (!keep_params)
		t->nice = attr.sched_nice;
	return 0;
}

/* sched_getattr(pid, attr, size, flags): as much of our struct as the
 * caller has room for, its size field saying how much that was. */
long sys_sched_getattr(const struct syscall_args *args)
{
	u64 usize = (u32)args->a[2];
	struct task *t;
	if (args->a[1] == 0 || args->a[3] != 0 || usize < SCHED_ATTR_SIZE_VER0 ||
	    usize > PAGE_SIZE || arg_int(args->a[0]) < 0)
		return -EINVAL;
	long err = sched_target(args->a[0], &t);
	if (err)
		return err;
	struct linux_sched_attr attr = {
		.size = (u32)MIN(usize, (u64)sizeof(attr)),
		.sched_policy = t->sched_policy,
		.sched_flags = t->sched_reset_on_fork ? SCHED_FLAG_RESET_ON_FORK : 0,
		.sched_nice = t->nice,
	};
	return copyout(args->a[1], &attr, attr.size) == 0 ? 0 : -EFAULT;
}
