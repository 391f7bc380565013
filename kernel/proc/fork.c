/*
 * fork.c: proc_clone (see fork.h).
 *
 * Both kinds of child copy the creating thread's credentials, limits,
 * cwd, umask, signal mask, CPU affinity, FPU state and FS/GS bases;
 * pending signals are not inherited. A new process gets its own thread
 * group, a copy of the signal actions and of the fd table (new
 * references on the same open files) and a copy of the address space
 * (or, vfork, the parent's). A thread joins the creator's thread group
 * and shares its actions, fd table and address space; its alternate
 * signal stack starts disabled. Either starts on its own kernel stack
 * from a copy of the creator's trapframe.
 *
 * Trust: flags and the tid pointers are user values: unknown flags and
 * combinations are refused, the pointers go through uaccess.
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

/* Accepted; the ignored ones change nothing here: no SysV semaphore
 * undo lists, no ptrace, no I/O contexts, and DETACHED is obsolete. */
#define CLONE_KNOWN (CLONE_CSIGNAL | CLONE_THREAD_FLAGS | CLONE_VFORK | CLONE_SYSVSEM | \
                     CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | \
                     CLONE_CHILD_SETTID | CLONE_DETACHED | CLONE_UNTRACED | CLONE_IO)

static void child_first_run(void *tf)
{
	sched_first_run(tf);
}

static int check_flags(u64 flags)
{
	if (flags & ~CLONE_KNOWN) {
		kprintf("clone: flags 0x%llx not supported\n", (unsigned long long)flags);
		return -EINVAL;
	}
	u64 shared = flags & CLONE_THREAD_FLAGS;
	if (flags & CLONE_THREAD) {
		if (shared != CLONE_THREAD_FLAGS || (flags & CLONE_VFORK))
			return -EINVAL;
		return 0;
	}
	if (shared & (CLONE_FS | CLONE_FILES | CLONE_SIGHAND))
		return -EINVAL; /* a partly shared process */
	if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
		return -EINVAL; /* shared memory without being a thread */
	return 0;
}

/* What every child copies from its creator. */
static void copy_thread_state(struct task *child, struct task *parent)
{
	child->pgid = parent->pgid;
	child->sid = parent->sid;
	child->umask = parent->umask;
	memcpy(child->exe_path, parent->exe_path, sizeof(child->exe_path));
	memcpy(child->comm, parent->comm, sizeof(child->comm));
	cred_copy(child, parent);
	memcpy(child->rlimits, parent->rlimits, sizeof(child->rlimits));
	child->sig.blocked = parent->sig.blocked;
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
	fpu_save(&child->fpu);
}

/* A new process: its own group, actions, fd table and memory. */
static int make_process(struct task *child, struct task *parent, u64 flags)
{
	child->parent = parent->group->leader;
	child->group = thread_group_create(child);
	child->sighand = sighand_create();
	child->files = fd_table_create();
	if (!child->group || !child->sighand || !child->files)
		return -EAGAIN;
	memcpy(child->sighand->actions, parent->sighand->actions, sizeof(child->sighand->actions));
	for (int fd = 0; fd < TASK_FD_MAX; fd++) {
		struct fd_entry *e = &parent->files->fds[fd];
		if (e->file) {
			child->files->fds[fd].file = file_get(e->file);
			child->files->fds[fd].cloexec = e->cloexec;
		}
	}
	child->mm = (flags & CLONE_VM) ? mm_get(parent->mm) : mm_copy(parent->mm);
	return child->mm ? 0 : -EAGAIN;
}

/* A thread of parent's process: everything shared. */
static void make_thread(struct task *child, struct task *parent)
{
	struct thread_group *g = parent->group;
	child->pid = g->tgid;
	child->parent = g->leader->parent;
	child->group = g;
	g->refcount++;
	g->live++;
	list_push_back(&g->threads, &child->group_link);
	child->sighand = parent->sighand;
	child->sighand->refcount++;
	child->files = parent->files;
	child->files->refcount++;
	child->mm = mm_get(parent->mm);
	/* Linux: a CLONE_VM child without CLONE_VFORK starts with no
	 * alternate signal stack (it would share the creator's). */
	child->sig.altstack.ss_sp = 0;
	child->sig.altstack.ss_size = 0;
	child->sig.altstack.ss_flags = SS_DISABLE;
}

/* Undo a half-built child (before it ever ran). */
static void discard_child(struct task *child, bool thread)
{
	if (child->files)
		fd_table_put(child->files);
	if (child->sighand)
		sighand_put(child->sighand);
	if (child->cwd)
		inode_put(child->cwd);
	if (child->mm)
		mm_put(child->mm);
	if (thread)
		child->group->live--;
	child->thread_exited = true;
	child->state = TASK_ZOMBIE;
	task_free(child); /* drops the group reference */
}

static int set_tids(struct task *child, u64 flags, u64 parent_tid, u64 child_tid)
{
	u32 tid = (u32)child->tid;
	if ((flags & CLONE_PARENT_SETTID) && copyout(parent_tid, &tid, sizeof(tid)) != 0)
		return -EFAULT;
	if ((flags & CLONE_CHILD_SETTID) && copyout_to(child->mm, child_tid, &tid, sizeof(tid)) != 0)
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
		wait_prepare(&parent->group->child_wait, &e);
		if (!child->vfork_waiting)
			break;
		wait_sleep(WAIT_FOREVER, false);
	}
	wait_finish(&e);
}

long proc_clone(struct trapframe *tf, u64 flags, u64 newsp, u64 parent_tid, u64 child_tid,
                u64 tls)
{
	int err = check_flags(flags);
	if (err)
		return err;
	if (newsp >= USER_TOP || ((flags & CLONE_SETTLS) && tls >= USER_TOP))
		return -EINVAL;
	struct task *parent = current_task();
	if (cred_nproc_exceeded(parent))
		return -EAGAIN; /* RLIMIT_NPROC */
	if (parent->group->exiting)
		return -ERESTARTNOINTR; /* we are about to die: never returns */
	bool thread = flags & CLONE_THREAD;
	struct task *child = task_alloc();
	if (!child)
		return -EAGAIN;
	copy_thread_state(child, parent);
	if (thread)
		make_thread(child, parent);
	else
		err = make_process(child, parent, flags);
	if (!err)
		err = set_tids(child, flags, parent_tid, child_tid);
	if (err) {
		discard_child(child, thread);
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

	int tid = child->tid;
	if (flags & CLONE_VFORK)
		child->vfork_waiting = true;
	sched_wake(child);
	if (flags & CLONE_VFORK)
		wait_vfork_child(parent, child);
	return tid;
}
