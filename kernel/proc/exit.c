/*
 * exit.c: the end of a task, and of the app.
 *
 * The first task (pid 1) is the app: when it ends, the kernel prints the
 * control line for the launcher (docs/boot-config.md), the --trace
 * summary, and powers off; any children still running end with it. Any
 * other task releases what it owns, becomes a zombie holding its wait
 * status, wakes its parent and never runs again.
 */
#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "mm/tlb.h"
#include "mm/uaccess.h"
#include "mm/vma.h"
#include "platform/platform.h"
#include "proc/fdtable.h"
#include "proc/proc.h"
#include "proc/sched.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "proc/wait.h"
#include "syscalls/linux_abi/signal.h"
#include "syscalls/syscall.h"

void proc_exit_app(int status, int signo)
{
	/* Like a container's end: what the app wrote to its volumes stays,
	 * fsync'ed or not (a failed commit is in the log). */
	vfs_sync_all();
	fs_log_stats();
	syscall_print_trace();
	if (signo > 0)
		kprintf("cvmify: signal %d\n", signo);
	else
		kprintf("cvmify: exit %d\n", status & 0xff);
	platform_poweroff(POWEROFF_APP_EXIT);
}

/* Wait status word as wait4 reports it. */
static int wait_status(int status, int signo)
{
	return signo > 0 ? (signo & 0x7f) : ((status & 0xff) << 8);
}

static void release_resources(struct task *task)
{
	for (int fd = 0; fd < TASK_FD_MAX; fd++) {
		if (task->files->fds[fd].file)
			fd_close(task, fd);
	}
	if (task->cwd) {
		inode_put(task->cwd);
		task->cwd = NULL;
	}
	/* CLONE_CHILD_CLEARTID: zero the tid word (futex waiters: none). */
	if (task->clear_child_tid) {
		u32 zero = 0;
		copyout(task->clear_child_tid, &zero, sizeof(zero));
	}
	if (task->vfork_waiting) {
		task->vfork_waiting = false;
		waitq_wake(&task->parent->child_wait, 0);
	}
	struct mm *mm = task->mm;
	task->mm = NULL;
	tlb_switch_mm(mm, NULL);
	mm_put(mm);
}

/* Who adopts the orphans of task: the nearest ancestor that asked to
 * (PR_SET_CHILD_SUBREAPER), else the first task. */
static struct task *new_parent_for_orphans(struct task *task)
{
	for (struct task *a = task->parent; a; a = a->parent) {
		if (a->child_subreaper && !a->exited)
			return a;
	}
	return task_find(1);
}

/* Orphans go to their reaper, which may wait for them; each gets its
 * PR_SET_PDEATHSIG signal. */
static void reparent_children(struct task *task)
{
	struct task *reaper = new_parent_for_orphans(task);
	for (struct task *t = task_first(); t; t = t->next) {
		if (t->parent != task)
			continue;
		t->parent = reaper;
		if (t->pdeath_signal && !t->exited)
			signal_post(t, t->pdeath_signal, 0);
		if (t->exited && reaper)
			waitq_wake(&reaper->child_wait, 0);
	}
}

void proc_exit(int status, int signo)
{
	struct task *task = current_task();
	if (task->parent == NULL)
		proc_exit_app(status, signo);
	release_resources(task);
	reparent_children(task);
	task->wait_status = wait_status(status, signo);
	task->exited = true;
	signal_post(task->parent, SIGCHLD, 0);
	waitq_wake(&task->parent->child_wait, 0);
	sched_exit();
}
