/*
 * signal.c: rt_sigaction, rt_sigprocmask, rt_sigpending, sigaltstack,
 * rt_sigreturn, kill, tgkill, tkill, rt_sigsuspend, pause,
 * rt_sigtimedwait, signalfd/signalfd4. The machinery is in
 * proc/signal*.c and proc/signalfd.c; here are the argument checks.
 * kill sends to a process (any thread of it that does not block the
 * signal takes it), tgkill and tkill to one thread.
 */
#include "arch/x86_64/nospec.h"
#include "arch/x86_64/trapframe.h"
#include "lib/string.h"
#include "mm/uaccess.h"
#include "proc/cred.h"
#include "fs/vfs.h"
#include "platform/platform.h"
#include "proc/fdtable.h"
#include "proc/signal.h"
#include "proc/signalfd.h"
#include "proc/task.h"
#include "proc/wait.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/capability.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
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
	if (uold && copyout(uold, &task->sighand->actions[signo], sizeof(next)) != 0)
		return -EFAULT;
	if (uact) {
		next.mask &= ~UNBLOCKABLE;
		task->sighand->actions[signo] = next; /* for every thread */
		bool ignored = next.handler == SIG_IGN ||
		               (next.handler == SIG_DFL && !signal_default_kills(signo));
		if (ignored)
			signal_discard(task, signo); /* pending instances go too */
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
	u64 pending = signal_pending_set(task) & task->sig.blocked;
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

/* A live process (a leader whose process has not ended) or thread. */
static bool process_alive(const struct task *t)
{
	return t && !t->exited && t->group->live > 0;
}

/* Send signo to task's process (0 only checks that it exists and may
 * be signalled). */
static long send_to_process(struct task *task, int signo)
{
	if (signo < 0 || signo > NSIG)
		return -EINVAL;
	if (!process_alive(task))
		return -ESRCH;
	if (!may_signal(task, signo))
		return -EPERM;
	if (signo > 0)
		signal_post(task, signo, SI_USER);
	return 0;
}

/* kill(0) and kill(-pgid): every process of the group; kill(-1): every
 * process but pid 1 and the caller's, as Linux spares init. ESRCH when
 * none matched, EPERM when none could be signalled. */
static long send_to_many(int pid, int signo)
{
	struct task *self = current_task();
	int pgid = pid == 0 ? self->pgid : -pid;
	bool delivered = false;
	long last_err = -ESRCH;
	for (struct task *t = task_first(); t; t = t->next) {
		if (t->tid != t->pid || !process_alive(t))
			continue; /* once per process: its leader */
		if (pid == -1 ? (t->pid == 1 || t->group == self->group) : t->pgid != pgid)
			continue;
		long r = send_to_process(t, signo);
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
		return send_to_process(task_find(pid), signo);
	if (pid == (int)0x80000000)
		return -ESRCH; /* -INT_MIN has no positive form */
	return send_to_many(pid, signo);
}

/* Send signo to one thread (tgkill/tkill); tgid < 0: any process. */
static long send_to_thread(int tgid, int tid, int signo)
{
	if (tid <= 0 || tgid == 0 || signo < 0 || signo > NSIG)
		return -EINVAL;
	struct task *t = task_find_tid(tid);
	if (!t || t->thread_exited || (tgid > 0 && t->pid != tgid))
		return -ESRCH;
	if (!may_signal(t, signo))
		return -EPERM;
	if (signo > 0) {
		struct task *self = current_task();
		struct ksiginfo info = {.code = SI_TKILL, .pid = self->pid, .uid = self->uid};
		signal_send_thread(t, signo, &info);
	}
	return 0;
}

long sys_tgkill(const struct syscall_args *args)
{
	int tgid = arg_int(args->a[0]);
	if (tgid <= 0)
		return -EINVAL;
	return send_to_thread(tgid, arg_int(args->a[1]), arg_int(args->a[2]));
}

long sys_tkill(const struct syscall_args *args)
{
	return send_to_thread(-1, arg_int(args->a[0]), arg_int(args->a[1]));
}

/* Sleep until a signal is delivered: the handler runs first, then the
 * caller sees EINTR (ERESTARTNOHAND, as on Linux). */
static long wait_for_signal(void)
{
	wait_until(WAIT_FOREVER, true);
	return -ERESTARTNOHAND;
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

/* rt_sigtimedwait(set, info, timeout, sigsetsize): take one of set once
 * it is pending (they are normally blocked), -EAGAIN at the timeout,
 * -EINTR if another signal's handler is due. */
long sys_rt_sigtimedwait(const struct syscall_args *args)
{
	struct task *task = current_task();
	if (args->a[3] != SIGSET_SIZE)
		return -EINVAL;
	u64 set;
	if (copyin(&set, args->a[0], sizeof(set)) != 0)
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	u64 deadline = WAIT_FOREVER;
	if (args->a[2]) {
		u64 ns;
		int err = timespec_copyin_ns(args->a[2], &ns);
		if (err)
			return err;
		u64 now = platform_time_ns();
		deadline = ns > WAIT_FOREVER - 1 - now ? WAIT_FOREVER : now + ns;
	}
	struct ksiginfo k;
	int signo = signal_wait_for(task, set, deadline, &k);
	if (signo <= 0)
		return signo == -ETIMEDOUT ? -EAGAIN : signo;
	if (args->a[1]) {
		struct linux_siginfo info;
		signal_to_siginfo(signo, &k, &info);
		if (copyout(args->a[1], &info, sizeof(info)) != 0)
			return -EFAULT;
	}
	return signo;
}

static long do_signalfd(int fd, u64 umask, u64 size, u32 flags)
{
	if (size != SIGSET_SIZE || (flags & ~(u32)(O_CLOEXEC | O_NONBLOCK)))
		return -EINVAL;
	u64 mask;
	if (copyin(&mask, umask, sizeof(mask)) != 0)
		return -EFAULT;
	mask &= ~UNBLOCKABLE;
	if (fd != -1) {
		struct file *file;
		int err = file_of(fd, &file);
		if (err)
			return err;
		if (!signalfd_is(file))
			return -EINVAL;
		signalfd_set_mask(file, mask);
		return fd;
	}
	struct file *file;
	int err = signalfd_create(mask, flags, &file);
	if (err)
		return err;
	long newfd = fd_install(current_task(), file, 0, flags & O_CLOEXEC);
	file_put(file);
	return newfd;
}

long sys_signalfd(const struct syscall_args *args)
{
	return do_signalfd(arg_int(args->a[0]), args->a[1], args->a[2], 0);
}

long sys_signalfd4(const struct syscall_args *args)
{
	return do_signalfd(arg_int(args->a[0]), args->a[1], args->a[2], (u32)args->a[3]);
}
