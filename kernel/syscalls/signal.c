/*
 * signal.c: rt_sigaction, rt_sigprocmask, rt_sigpending, sigaltstack,
 * rt_sigreturn, kill, tgkill, tkill. The delivery machinery is in
 * proc/signal.c; here are the argument checks.
 */
#include "arch/x86_64/nospec.h"
#include "arch/x86_64/trapframe.h"
#include "lib/string.h"
#include "mm/uaccess.h"
#include "proc/cred.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "proc/wait.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/capability.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/signal.h"

#define SIGSET_SIZE 8
#define SS_AUTODISARM (1u << 31)

static const u64 UNBLOCKABLE = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));

long sys_rt_sigaction(const struct syscall_args *args)
{
	struct task *task = current_task();
	int signo = arg_int(args->a[0]);
	u64 uact = args->a[1];
	u64 uold = args->a[2];
	if (args->a[3] != SIGSET_SIZE)
		return -EINVAL;
	if (signo < 1 || signo > NSIG)
		return -EINVAL;
	signo = (int)index_nospec((u64)signo, NSIG + 1);
	if (uact && (signo == SIGKILL || signo == SIGSTOP))
		return -EINVAL;
	struct linux_sigaction next;
	if (uact && copyin(&next, uact, sizeof(next)) != 0)
		return -EFAULT;
	if (uold && copyout(uold, &task->sig.actions[signo], sizeof(next)) != 0)
		return -EFAULT;
	if (uact) {
		next.mask &= ~UNBLOCKABLE;
		task->sig.actions[signo] = next;
		/* Setting SIG_IGN discards a pending instance. */
		if (next.handler == SIG_IGN)
			task->sig.pending &= ~(1ull << (signo - 1));
	}
	return 0;
}

long sys_rt_sigprocmask(const struct syscall_args *args)
{
	struct task *task = current_task();
	int how = arg_int(args->a[0]);
	u64 uset = args->a[1];
	u64 uold = args->a[2];
	if (args->a[3] != SIGSET_SIZE)
		return -EINVAL;
	u64 set = 0;
	if (uset && copyin(&set, uset, sizeof(set)) != 0)
		return -EFAULT;
	u64 old = task->sig.blocked;
	if (uset) {
		switch (how) {
		case SIG_BLOCK:
			task->sig.blocked |= set;
			break;
		case SIG_UNBLOCK:
			task->sig.blocked &= ~set;
			break;
		case SIG_SETMASK:
			task->sig.blocked = set;
			break;
		default:
			return -EINVAL;
		}
		task->sig.blocked &= ~UNBLOCKABLE;
	}
	if (uold && copyout(uold, &old, sizeof(old)) != 0)
		return -EFAULT;
	return 0;
}

long sys_rt_sigpending(const struct syscall_args *args)
{
	struct task *task = current_task();
	if (args->a[1] > SIGSET_SIZE)
		return -EINVAL;
	u64 pending = task->sig.pending & task->sig.blocked;
	return copyout(args->a[0], &pending, (size_t)args->a[1]);
}

long sys_sigaltstack(const struct syscall_args *args)
{
	struct task *task = current_task();
	u64 uss = args->a[0];
	u64 uold = args->a[1];
	bool on = signal_on_altstack(task, args->tf->rsp);
	if (uold) {
		struct linux_stack old = task->sig.altstack;
		if (old.ss_flags & SS_DISABLE) {
			old.ss_sp = 0;
			old.ss_size = 0;
		}
		old.ss_flags = (old.ss_flags & SS_DISABLE) | (on ? SS_ONSTACK : 0);
		if (copyout(uold, &old, sizeof(old)) != 0)
			return -EFAULT;
	}
	if (!uss)
		return 0;
	struct linux_stack next;
	if (copyin(&next, uss, sizeof(next)) != 0)
		return -EFAULT;
	if (on)
		return -EPERM;
	u32 mode = (u32)next.ss_flags & ~SS_AUTODISARM;
	if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
		return -EINVAL;
	if (mode == SS_DISABLE) {
		task->sig.altstack.ss_sp = 0;
		task->sig.altstack.ss_size = 0;
		task->sig.altstack.ss_flags = SS_DISABLE;
		return 0;
	}
	if (next.ss_size < MINSIGSTKSZ)
		return -ENOMEM;
	if (!user_range_ok(next.ss_sp, next.ss_size))
		return -EFAULT;
	task->sig.altstack.ss_sp = next.ss_sp;
	task->sig.altstack.ss_size = next.ss_size;
	task->sig.altstack.ss_flags = 0;
	return 0;
}

long sys_rt_sigreturn(const struct syscall_args *args)
{
	return signal_sigreturn(args->tf);
}

/* Linux's kill_ok_by_cred: CAP_KILL, or the sender's real or effective
 * uid is the target's real or saved uid; SIGCONT also within the
 * session. */
static bool may_signal(const struct task *target, int signo)
{
	const struct task *self = current_task();
	if (capable(CAP_KILL) || target == self)
		return true;
	if (self->euid == target->uid || self->euid == target->suid ||
	    self->uid == target->uid || self->uid == target->suid)
		return true;
	return signo == SIGCONT && self->sid == target->sid;
}

/* Post signo to task (0 only checks it exists and may be signalled). */
static long send_to(struct task *task, int signo, int code)
{
	if (signo < 0 || signo > NSIG)
		return -EINVAL;
	if (!task || task->exited)
		return -ESRCH;
	if (!may_signal(task, signo))
		return -EPERM;
	if (signo > 0)
		signal_post(task, signo, code);
	return 0;
}

/* kill(0) and kill(-pgid): every member of the group; kill(-1): every
 * task but pid 1 and the caller, as Linux spares init. ESRCH when no
 * task matched, EPERM when none could be signalled. */
static long send_to_many(int pid, int signo)
{
	struct task *self = current_task();
	int pgid = pid == 0 ? self->pgid : -pid;
	bool delivered = false;
	long last_err = -ESRCH;
	for (struct task *t = task_first(); t; t = t->next) {
		if (t->exited)
			continue;
		if (pid == -1 ? (t->pid == 1 || t == self) : t->pgid != pgid)
			continue;
		long r = send_to(t, signo, SI_USER);
		if (r == -EINVAL)
			return r;
		delivered = delivered || r == 0;
		if (r != 0)
			last_err = r;
	}
	return delivered ? 0 : last_err;
}

long sys_kill(const struct syscall_args *args)
{
	int pid = arg_int(args->a[0]);
	int signo = arg_int(args->a[1]);
	if (pid > 0)
		return send_to(task_find(pid), signo, SI_USER);
	if (pid == (int)0x80000000)
		return -ESRCH; /* -INT_MIN has no positive form */
	return send_to_many(pid, signo);
}

long sys_tgkill(const struct syscall_args *args)
{
	int tgid = arg_int(args->a[0]);
	int tid = arg_int(args->a[1]);
	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	if (tgid != tid)
		return -ESRCH; /* no threads: a tid is its own group */
	return send_to(task_find(tid), arg_int(args->a[2]), SI_TKILL);
}

long sys_tkill(const struct syscall_args *args)
{
	int tid = arg_int(args->a[0]);
	if (tid <= 0)
		return -EINVAL;
	return send_to(task_find(tid), arg_int(args->a[1]), SI_TKILL);
}

/* Sleep until a signal is delivered: the result is always -EINTR (the
 * handler runs first, as on Linux). */
static long wait_for_signal(void)
{
	wait_until(WAIT_FOREVER, true);
	return -EINTR;
}

long sys_rt_sigsuspend(const struct syscall_args *args)
{
	if (args->a[1] != SIGSET_SIZE)
		return -EINVAL;
	u64 mask;
	if (copyin(&mask, args->a[0], sizeof(mask)) != 0)
		return -EFAULT;
	signal_set_temporary_mask(current_task(), mask);
	return wait_for_signal();
}

long sys_pause(const struct syscall_args *args)
{
	(void)args;
	return wait_for_signal();
}
