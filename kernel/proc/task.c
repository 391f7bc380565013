/*
 * task.c: task allocation, the task list, pids and the first task's
 * defaults.
 */
#include "proc/task.h"

#include "arch/x86_64/percpu.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/kstack.h"
#include "mm/page.h"
#include "panic.h"
#include "proc/sched.h"
#include "syscalls/linux_abi/signal.h"

#define PID_MAX 0x3fffffff

static struct task *g_tasks;      /* list head, creation order */
static int g_next_pid = 1;

struct task *current_task(void)
{
	struct task *cur = this_cpu()->current;
	ASSERT(cur != NULL);
	return cur;
}

struct task *task_first(void)
{
	return g_tasks;
}

struct task *task_find(int pid)
{
	for (struct task *t = g_tasks; t; t = t->next) {
		if (t->pid == pid)
			return t;
	}
	return NULL;
}

struct task *task_find_tid(int tid)
{
	for (struct task *t = g_tasks; t; t = t->next) {
		if (t->tid == tid)
			return t;
	}
	return NULL;
}

u64 task_kstack_top(const struct task *task)
{
	return kstack_top(task->kstack);
}

struct task *task_alloc(void)
{
	if (g_next_pid >= PID_MAX)
		return NULL;
	struct task *task = kzalloc(sizeof(*task));
	if (!task)
		return NULL;
	task->files = kzalloc(sizeof(*task->files));
	task->kstack = kstack_alloc();
	if (!task->files || !task->kstack) {
		if (task->files)
			kfree(task->files);
		if (task->kstack)
			kstack_free(task->kstack);
		kfree(task);
		return NULL;
	}
	task->pid = g_next_pid++;
	task->tid = task->pid;
	task->state = TASK_RUNNABLE;
	task->on_cpu = -1;
	runq_node_init(&task->run, ~0ULL);
	waitq_init(&task->child_wait);
	fpu_state_init(&task->fpu);
	struct task **link = &g_tasks;
	while (*link)
		link = &(*link)->next;
	*link = task;
	return task;
}

struct task *task_alloc_idle(void *stack)
{
	struct task *task = kzalloc(sizeof(*task));
	if (!task)
		return NULL;
	task->kstack = stack ? stack : kstack_alloc();
	if (!task->kstack) {
		kfree(task);
		return NULL;
	}
	task->is_idle = true;
	task->state = TASK_RUNNABLE;
	task->on_cpu = -1;
	runq_node_init(&task->run, 0);
	waitq_init(&task->child_wait);
	fpu_state_init(&task->fpu);
	return task;
}

void task_free(struct task *task)
{
	ASSERT(task != current_task() && task->exited);
	sched_wait_off_cpu(task);
	struct task **link = &g_tasks;
	while (*link != task)
		link = &(*link)->next;
	*link = task->next;
	kstack_free(task->kstack);
	kfree(task->files);
	kfree(task);
}

/* Linux defaults for a fresh process (as a typical container sees them). */
static void default_rlimits(struct task *task)
{
	for (int r = 0; r < RLIMIT_NLIMITS; r++) {
		task->rlimits[r].rlim_cur = RLIM_INFINITY;
		task->rlimits[r].rlim_max = RLIM_INFINITY;
	}
	task->rlimits[RLIMIT_STACK].rlim_cur = 8ull << 20;
	task->rlimits[RLIMIT_CORE].rlim_cur = 0;
	task->rlimits[RLIMIT_NOFILE].rlim_cur = TASK_FD_MAX;
	task->rlimits[RLIMIT_NOFILE].rlim_max = TASK_FD_MAX;
	task->rlimits[RLIMIT_MEMLOCK].rlim_cur = 8ull << 20;
	task->rlimits[RLIMIT_MEMLOCK].rlim_max = 8ull << 20;
	task->rlimits[RLIMIT_SIGPENDING].rlim_cur = 1024;
	task->rlimits[RLIMIT_SIGPENDING].rlim_max = 1024;
	task->rlimits[RLIMIT_MSGQUEUE].rlim_cur = 819200;
	task->rlimits[RLIMIT_MSGQUEUE].rlim_max = 819200;
	task->rlimits[RLIMIT_NICE].rlim_cur = 0;
	task->rlimits[RLIMIT_NICE].rlim_max = 0;
	task->rlimits[RLIMIT_RTPRIO].rlim_cur = 0;
	task->rlimits[RLIMIT_RTPRIO].rlim_max = 0;
}

struct task *task_create_first(void)
{
	ASSERT(g_tasks == NULL);
	struct task *task = task_alloc();
	if (!task)
		return NULL;
	task->umask = 022;
	task->pgid = task->pid; /* the first task leads its group and session */
	task->sid = task->pid;
	task->dumpable = true;
	task->sig.altstack.ss_flags = SS_DISABLE;
	default_rlimits(task);
	sched_start_first(task);
	return task;
}
