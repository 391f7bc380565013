/*
 * exit.c: the end of a thread, of a process, and of the app.
 *
 * A thread that ends cleans up after the thread library (the robust
 * futex list, CLONE_CHILD_CLEARTID's word and its futex wake-up) and
 * drops its references (mm, fd table, sighand, cwd). The last thread of
 * a process ends the process: its children go to the first process, its
 * leader becomes a zombie holding the wait status, the parent gets
 * SIGCHLD and a wake-up. The first process (pid 1) is the app: when it
 * ends, the kernel sends the --trace summary and the exit message to the
 * launcher over the control channel (docs/boot-config.md), echoes it in
 * the log, and powers off; processes still running end with it. A thread
 * other than the leader is freed once it is off its CPU (proc/sched.c
 * reaps it); a leader when its parent reaps it.
 */
#include "control/control.h"
#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "mm/tlb.h"
#include "mm/uaccess.h"
#include "mm/vma.h"
#include "platform/platform.h"
#include "proc/fdtable.h"
#include "proc/futex.h"
#include "proc/itimer.h"
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
	sched_log_stats();
	if (signo > 0) {
		kprintf("cvmify: signal %d\n", signo);
		control_send_u32(CONTROL_KILLED, (u32)signo);
	} else {
		kprintf("cvmify: exit %d\n", status & 0xff);
		control_send_u32(CONTROL_EXIT, (u32)status & 0xff);
	}
	platform_poweroff(POWEROFF_APP_EXIT);
}

/* Wait status word as wait4 reports it. */
static int wait_status(int status, int signo)
{
	return signo > 0 ? (signo & 0x7f) : ((status & 0xff) << 8);
}

/* What the thread library asked to be told at our exit. */
static void thread_library_exit(struct task *task)
{
	futex_exit_robust_list(task);
	/* CLONE_CHILD_CLEARTID / set_tid_address: zero the tid word and wake
	 * its waiters (pthread_join). */
	if (task->clear_child_tid && task->mm) {
		u32 zero = 0;
		if (copyout(task->clear_child_tid, &zero, sizeof(zero)) == 0)
			futex_wake_address(task, task->clear_child_tid, 1);
	}
}

static void release_resources(struct task *task)
{
	fd_drop_held(task, true);
	fd_table_release(task);
	if (task->cwd) {
		inode_put(task->cwd);
		task->cwd = NULL;
	}
	sighand_put(task->sighand);
	task->sighand = NULL;
	if (task->vfork_waiting) {
		task->vfork_waiting = false;
		waitq_wake(&task->parent->group->child_wait, 0);
	}
	struct mm *mm = task->mm;
	task->mm = NULL;
	tlb_switch_mm(mm, NULL);
	rusage_leave_mm(task->group, mm);
	mm_put(mm);
}

/* Who adopts the orphans of task: the nearest ancestor that asked to
 * (PR_SET_CHILD_SUBREAPER), else the first process. */
static struct task *new_parent_for_orphans(struct task *leader)
{
	for (struct task *a = leader->parent; a; a = a->parent) {
		if (a->child_subreaper && !a->exited)
			return a;
	}
	return task_find(1);
}

/* Orphans go to their reaper, which may wait for them; each gets its
 * PR_SET_PDEATHSIG signal. */
static void reparent_children(struct task *leader)
{
	struct task *reaper = new_parent_for_orphans(leader);
	for (struct task *t = task_first(); t; t = t->next) {
		if (t->parent != leader)
			continue;
		t->parent = reaper;
		if (t->pdeath_signal && !t->exited)
			signal_post(t, t->pdeath_signal, 0);
		if (t->exited && reaper)
			waitq_wake(&reaper->group->child_wait, 0);
	}
}

/* The last thread is gone: the process ends. */
static void process_exit(struct thread_group *g, int word)
{
	struct task *leader = g->leader;
	if (leader->parent == NULL) {
		/* The app: its end is the machine's. */
		if (word & 0x7f)
			proc_exit_app(0, word & 0x7f);
		proc_exit_app((word >> 8) & 0xff, 0);
	}
	itimers_stop(g);
	reparent_children(leader);
	leader->wait_status = word;
	leader->exited = true;
	struct ksiginfo info = {
		.code = (word & 0x7f) ? CLD_KILLED : CLD_EXITED,
		.pid = g->tgid,
		.uid = leader->uid,
		.status = (word & 0x7f) ? (word & 0x7f) : ((word >> 8) & 0xff),
	};
	signal_send_process(leader->parent, SIGCHLD, &info);
	waitq_wake(&leader->parent->group->child_wait, 0);
}

static __attribute__((noreturn)) void exit_thread(int word)
{
	struct task *task = current_task();
	struct thread_group *g = task->group;
	sched_exiting(task);
	thread_library_exit(task);
	release_resources(task);
	task->thread_exited = true;
	g->live--;
	if (g->live == 0)
		process_exit(g, g->exiting ? g->exit_status : word);
	else if (g->execer)
		waitq_wake(&g->child_wait, 0); /* execve waits for us to go */
	sched_exit();
}

void proc_exit_thread_status(int status)
{
	exit_thread(wait_status(status, 0));
}

void proc_exit_thread(void)
{
	exit_thread(current_task()->group->exit_status);
}

void proc_exit(int status, int signo)
{
	struct task *task = current_task();
	if (task->group->leader->parent == NULL)
		proc_exit_app(status, signo); /* the app: its other threads end with it */
	signal_group_exit(task, wait_status(status, signo));
	proc_exit_thread();
}
