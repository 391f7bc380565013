/*
 * fork.c: proc_clone (see fork.h).
 *
 * The child copies the parent's credentials, limits, cwd, umask, fd
 * table (new references on the same open files), signal actions and
 * mask, and FPU state; pending signals are not inherited. Its first run
 * starts on its own kernel stack from a copy of the parent's trapframe.
 *
 * Trust: flags and the tid pointers are user values: unknown flags are
 * refused, the pointers go through uaccess.
 */
#include "proc/fork.h"

#include "arch/x86_64/arch.h"
#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/uaccess.h"
#include "mm/vma.h"
#include "platform/platform.h"
#include "proc/cred.h"
#include "proc/sched.h"
#include "proc/task.h"
#include "proc/wait.h"
#include "syscalls/linux_abi/errno.h"

#define CLONE_SUPPORTED (CLONE_CSIGNAL | CLONE_VM | CLONE_VFORK | CLONE_SETTLS | \
                         CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID)

static void child_first_run(void *tf)
{
	sched_first_run(tf);
}

static void copy_state(struct task *child, struct task *parent)
{
	child->parent = parent;
	child->pgid = parent->pgid;
	child->sid = parent->sid;
	child->umask = parent->umask;
	memcpy(child->exe_path, parent->exe_path, sizeof(child->exe_path));
	memcpy(child->comm, parent->comm, sizeof(child->comm));
	cred_copy(child, parent);
	memcpy(child->rlimits, parent->rlimits, sizeof(child->rlimits));
	memcpy(child->sig.actions, parent->sig.actions, sizeof(child->sig.actions));
	child->sig.blocked = parent->sig.blocked;
	child->sig.pending = 0;
	child->sig.altstack = parent->sig.altstack;
	child->run.cpus_allowed = parent->run.cpus_allowed;
	child->fs_base = arch_get_fs_base();
	child->gs_base = arch_get_user_gs_base();
	child->dumpable = parent->dumpable;
	child->no_new_privs = parent->no_new_privs; /* pdeath_signal: not inherited */
	child->nice = parent->nice;
	child->sched_policy = parent->sched_policy;
	if (parent->sched_reset_on_fork) { /* Linux: back to the defaults */
		child->sched_policy = 0;
		child->nice = parent->nice < 0 ? 0 : parent->nice;
	}
	child->start_ns = platform_time_ns();
	child->cwd = inode_get(parent->cwd);
	for (int fd = 0; fd < TASK_FD_MAX; fd++) {
		struct fd_entry *e = &parent->files->fds[fd];
		if (e->file) {
			child->files->fds[fd].file = file_get(e->file);
			child->files->fds[fd].cloexec = e->cloexec;
		}
	}
	fpu_save(&child->fpu);
}

/* Undo a half-built child (before it ever ran). */
static void discard_child(struct task *child)
{
	for (int fd = 0; fd < TASK_FD_MAX; fd++) {
		if (child->files->fds[fd].file)
			file_put(child->files->fds[fd].file);
	}
	if (child->cwd)
		inode_put(child->cwd);
	if (child->mm)
		mm_put(child->mm);
	child->exited = true;
	child->state = TASK_ZOMBIE;
	task_free(child);
}

static int set_tids(struct task *child, u64 flags, u64 parent_tid, u64 child_tid)
{
	u32 pid = (u32)child->pid;
	if ((flags & CLONE_PARENT_SETTID) && copyout(parent_tid, &pid, sizeof(pid)) != 0)
		return -EFAULT;
	if ((flags & CLONE_CHILD_SETTID) && copyout_to(child->mm, child_tid, &pid, sizeof(pid)) != 0)
		return -EFAULT;
	if (flags & CLONE_CHILD_CLEARTID)
		child->clear_child_tid = child_tid;
	return 0;
}

/* A vfork parent sleeps until the child execs or exits (only a fatal
 * signal would end the wait on Linux; here nothing but the child
 * does). The child cannot be reaped meanwhile: we are its parent. */
static void wait_vfork_child(struct task *parent, struct task *child)
{
	struct wait_entry e;
	wait_entry_init(&e);
	for (;;) {
		wait_prepare(&parent->child_wait, &e);
		if (!child->vfork_waiting)
			break;
		wait_sleep(WAIT_FOREVER, false);
	}
	wait_finish(&e);
}

long proc_clone(struct trapframe *tf, u64 flags, u64 newsp, u64 parent_tid, u64 child_tid,
                u64 tls)
{
	if (flags & ~CLONE_SUPPORTED) {
		kprintf("clone: flags 0x%llx not supported (no threads yet)\n",
		        (unsigned long long)flags);
		return -ENOSYS;
	}
	if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
		return -ENOSYS; /* a thread: shared memory without vfork */
	if (newsp >= USER_TOP || ((flags & CLONE_SETTLS) && tls >= USER_TOP))
		return -EINVAL;
	struct task *parent = current_task();
	if (cred_nproc_exceeded(parent))
		return -EAGAIN; /* RLIMIT_NPROC */
	struct task *child = task_alloc();
	if (!child)
		return -EAGAIN;
	copy_state(child, parent);
	child->mm = (flags & CLONE_VM) ? mm_get(parent->mm) : mm_copy(parent->mm);
	int err = child->mm ? set_tids(child, flags, parent_tid, child_tid) : -ENOMEM;
	if (err) {
		discard_child(child);
		return err;
	}
	if (flags & CLONE_SETTLS)
		child->fs_base = tls;

	u64 top = task_kstack_top(child);
	struct trapframe *ctf = (struct trapframe *)(uptr)(top - TRAPFRAME_SIZE);
	*ctf = *tf;
	ctf->rax = 0;
	if (newsp)
		ctf->rsp = newsp;
	child->context = arch_context_init(top - TRAPFRAME_SIZE, child_first_run, ctf);
	child->state = TASK_SLEEPING; /* made runnable once complete, below */

	int pid = child->pid;
	if (flags & CLONE_VFORK)
		child->vfork_waiting = true;
	sched_wake(child);
	if (flags & CLONE_VFORK)
		wait_vfork_child(parent, child);
	return pid;
}
