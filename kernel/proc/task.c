/*
 * task.c: the one task and its creation defaults.
 */
#include "proc/task.h"

#include "lib/string.h"
#include "mm/kmalloc.h"
#include "panic.h"
#include "syscalls/linux_abi/signal.h"

static struct task *g_current;

struct task *current_task(void)
{
	ASSERT(g_current != NULL);
	return g_current;
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
	ASSERT(g_current == NULL);
	struct task *task = kzalloc(sizeof(*task));
	if (!task)
		return NULL;
	task->files = kzalloc(sizeof(*task->files));
	if (!task->files) {
		kfree(task);
		return NULL;
	}
	task->pid = 1;
	task->tid = 1;
	task->umask = 022;
	task->sig.altstack.ss_flags = SS_DISABLE;
	default_rlimits(task);
	g_current = task;
	return task;
}
