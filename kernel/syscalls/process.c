/*
 * process.c: exit, ids, uname, arch_prctl, set_tid_address, robust
 * lists, resource limits (prctl is in prctl.c).
 *
 * Processes without threads: pid == tid. Changing credentials is
 * identity.c's.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/nospec.h"
#include "lib/string.h"
#include "lib/uts.h"
#include "mm/uaccess.h"
#include "mm/vma.h"
#include "proc/cred.h"
#include "net/hostname.h"
#include "proc/proc.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/capability.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/misc.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004


long sys_exit(const struct syscall_args *args)
{
	/* This thread only; the last one out ends the process. */
	proc_exit_thread_status(arg_int(args->a[0]) & 0xff);
}

long sys_exit_group(const struct syscall_args *args)
{
	proc_exit(arg_int(args->a[0]) & 0xff, 0);
}

long sys_getpid(const struct syscall_args *args)
{
	(void)args;
	return current_task()->pid;
}

long sys_getppid(const struct syscall_args *args)
{
	(void)args;
	struct task *parent = current_task()->parent;
	return parent ? parent->pid : 0; /* the first task's parent is outside */
}

long sys_gettid(const struct syscall_args *args)
{
	(void)args;
	return current_task()->tid;
}

long sys_getuid(const struct syscall_args *args)
{
	(void)args;
	return current_task()->uid;
}

long sys_geteuid(const struct syscall_args *args)
{
	(void)args;
	return current_task()->euid;
}

long sys_getgid(const struct syscall_args *args)
{
	(void)args;
	return current_task()->gid;
}

long sys_getegid(const struct syscall_args *args)
{
	(void)args;
	return current_task()->egid;
}

static long put_three(u64 a, u64 b, u64 c, u32 x, u32 y, u32 z)
{
	if (copyout(a, &x, 4) || copyout(b, &y, 4) || copyout(c, &z, 4))
		return -EFAULT;
	return 0;
}

long sys_getresuid(const struct syscall_args *args)
{
	struct task *t = current_task();
	return put_three(args->a[0], args->a[1], args->a[2], t->uid, t->euid, t->suid);
}

long sys_getresgid(const struct syscall_args *args)
{
	struct task *t = current_task();
	return put_three(args->a[0], args->a[1], args->a[2], t->gid, t->egid, t->sgid);
}

static void put_field(char *dst, const char *s)
{
	strlcpy(dst, s, 65);
}

long sys_uname(const struct syscall_args *args)
{
	struct linux_utsname u;
	memset(&u, 0, sizeof(u));
	put_field(u.sysname, UTS_SYSNAME);
	put_field(u.nodename, hostname_get());
	put_field(u.release, UTS_RELEASE);
	put_field(u.version, UTS_VERSION);
	put_field(u.machine, UTS_MACHINE);
	put_field(u.domainname, UTS_DOMAINNAME);
	return copyout(args->a[0], &u, sizeof(u));
}

long sys_arch_prctl(const struct syscall_args *args)
{
	struct task *task = current_task();
	u64 code = args->a[0];
	u64 addr = args->a[1];
	u64 value;
	switch (code) {
	case ARCH_SET_FS:
		if (addr >= USER_TOP)
			return -EPERM; /* Linux: a non-canonical or kernel base */
		task->fs_base = addr;
		arch_set_fs_base(addr);
		return 0;
	case ARCH_GET_FS:
		value = arch_get_fs_base(); /* live: the app may have used WRFSBASE */
		return copyout(addr, &value, sizeof(value));
	case ARCH_SET_GS:
		if (addr >= USER_TOP)
			return -EPERM;
		task->gs_base = addr;
		arch_set_user_gs_base(addr);
		return 0;
	case ARCH_GET_GS:
		value = arch_get_user_gs_base();
		return copyout(addr, &value, sizeof(value));
	default:
		return -EINVAL;
	}
}

long sys_set_tid_address(const struct syscall_args *args)
{
	struct task *task = current_task();
	task->clear_child_tid = args->a[0];
	return task->tid;
}

long sys_set_robust_list(const struct syscall_args *args)
{
	struct task *task = current_task();
	if (args->a[1] != 24) /* sizeof(struct robust_list_head) */
		return -EINVAL;
	task->robust_list = args->a[0];
	task->robust_list_len = args->a[1];
	return 0;
}

/* get_robust_list(tid, head_ptr, len_ptr): another process's thread
 * only for root or the same user (Linux: ptrace read access). */
long sys_get_robust_list(const struct syscall_args *args)
{
	struct task *self = current_task();
	int tid = arg_int(args->a[0]);
	struct task *t = tid ? task_find_tid(tid) : self;
	if (!t || t->thread_exited)
		return -ESRCH;
	if (t->pid != self->pid && !capable(CAP_SYS_PTRACE) && self->uid != t->uid)
		return -EPERM;
	u64 head = t->robust_list, len = t->robust_list ? t->robust_list_len : 24;
	if (copyout(args->a[1], &head, sizeof(head)) != 0 ||
	    copyout(args->a[2], &len, sizeof(len)) != 0)
		return -EFAULT;
	return 0;
}

/* Linux's check_prlimit_permission: another process's limits only for a
 * caller whose real ids equal all three of the target's uids and gids,
 * or with CAP_SYS_RESOURCE. */
static bool may_prlimit(const struct task *self, const struct task *t)
{
	if (t == self)
		return true;
	bool ids_match = self->uid == t->uid && self->uid == t->euid && self->uid == t->suid &&
	                 self->gid == t->gid && self->gid == t->egid && self->gid == t->sgid;
	return ids_match || capable(CAP_SYS_RESOURCE);
}

/* Limits belong to the process on Linux: every thread gets the new one. */
static void set_process_rlimit(struct task *task, u32 resource, const struct linux_rlimit *rl)
{
	struct thread_group *g = task->group;
	for (struct list_node *l = g->threads.next; l != &g->threads; l = l->next)
		list_entry(l, struct task, group_link)->rlimits[resource] = *rl;
	task->rlimits[resource] = *rl;
}

static long do_prlimit(int pid, u32 resource, u64 unew, u64 uold)
{
	struct task *self = current_task();
	struct task *task = pid == 0 ? self : task_find(pid);
	if (pid < 0 || task == NULL || task->exited)
		return -ESRCH;
	if (!may_prlimit(self, task))
		return -EPERM;
	if (resource >= RLIMIT_NLIMITS)
		return -EINVAL;
	resource = (u32)index_nospec(resource, RLIMIT_NLIMITS);
	struct linux_rlimit next;
	if (unew && copyin(&next, unew, sizeof(next)) != 0)
		return -EFAULT;
	if (unew) {
		if (next.rlim_cur > next.rlim_max)
			return -EINVAL;
		struct linux_rlimit *cur = &task->rlimits[resource];
		if (next.rlim_max > cur->rlim_max && !capable(CAP_SYS_RESOURCE))
			return -EPERM; /* not in a container's capabilities */
		if (resource == RLIMIT_NOFILE && next.rlim_max > TASK_FD_MAX)
			return -EPERM; /* like raising above fs.nr_open */
	}
	if (uold && copyout(uold, &task->rlimits[resource], sizeof(struct linux_rlimit)) != 0)
		return -EFAULT;
	if (unew)
		set_process_rlimit(task, resource, &next);
	return 0;
}

long sys_prlimit64(const struct syscall_args *args)
{
	return do_prlimit(arg_int(args->a[0]), (u32)args->a[1], args->a[2], args->a[3]);
}

long sys_getrlimit(const struct syscall_args *args)
{
	if (args->a[1] == 0)
		return -EFAULT;
	return do_prlimit(0, (u32)args->a[0], 0, args->a[1]);
}

long sys_setrlimit(const struct syscall_args *args)
{
	if (args->a[1] == 0)
		return -EFAULT;
	return do_prlimit(0, (u32)args->a[0], args->a[1], 0);
}
