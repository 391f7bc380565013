/*
 * task.c: task allocation, the task list, ids, the shared parts of a
 * process (thread group, sighand, fd table) and the first task's
 * defaults. Everything here runs with the big kernel lock.
 */
#include "proc/task.h"

#include "arch/x86_64/percpu.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/kstack.h"
#include "mm/page.h"
#include "panic.h"
#include "proc/fdtable.h"
#include "proc/itimer.h"
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
	struct task *any = NULL;
	for (struct task *t = g_tasks; t; t = t->next) {
		if (t->pid != pid)
			continue;
		if (t->tid == pid)
			return t; /* the leader, zombie or not: it stands for the process */
		if (!any)
			any = t;
	}
	return any;
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
	task->kstack = kstack_alloc();
	if (!task->kstack) {
		kfree(task);
		return NULL;
	}
	task->tid = g_next_pid++;
	task->pid = task->tid;
	task->state = TASK_RUNNABLE;
	task->on_cpu = -1;
	task->last_cpu = -1;
	task->exits_since_wake = SCHED_NO_WAKE;
	list_node_init(&task->group_link);
	runq_node_init(&task->run, ~0ULL);
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
	list_node_init(&task->group_link);
	runq_node_init(&task->run, 0);
	fpu_state_init(&task->fpu);
	return task;
}

void task_free(struct task *task)
{
	ASSERT(task != current_task() && task->thread_exited);
	sched_wait_off_cpu(task);
	struct task **link = &g_tasks;
	while (*link != task)
		link = &(*link)->next;
	*link = task->next;
	if (task->group) {
		list_remove(&task->group_link);
		thread_group_put(task->group);
	}
	kstack_free(task->kstack);
	kfree(task->held); /* emptied at exit */
	kfree(task);
}

/* ---- the shared parts ---- */

struct thread_group *thread_group_create(struct task *leader)
{
	struct thread_group *g = kzalloc(sizeof(*g));
	if (!g)
		return NULL;
	g->refcount = 1;
	g->tgid = leader->tid;
	g->leader = leader;
	list_init(&g->threads);
	list_push_back(&g->threads, &leader->group_link);
	g->live = 1;
	waitq_init(&g->signal_wait);
	waitq_init(&g->child_wait);
	cputime_group_init(g);
	return g;
}

void thread_group_put(struct thread_group *group)
{
	ASSERT(group->refcount > 0);
	if (--group->refcount > 0)
		return;
	itimers_free(group);
	kfree(group);
}

struct sighand *sighand_create(void)
{
	struct sighand *sh = kzalloc(sizeof(*sh));
	if (sh)
		sh->refcount = 1;
	return sh;
}

void sighand_put(struct sighand *sighand)
{
	ASSERT(sighand->refcount > 0);
	if (--sighand->refcount == 0)
		kfree(sighand);
}

struct fd_table *fd_table_create(void)
{
	struct fd_table *files = kzalloc(sizeof(*files));
	if (files)
		files->refcount = 1;
	return files;
}

void fd_table_put(struct fd_table *files)
{
	ASSERT(files->refcount > 0);
	if (--files->refcount > 0)
		return;
	for (int fd = 0; fd < TASK_FD_MAX; fd++) {
		struct file *f = files->fds[fd].file;
		files->fds[fd].file = NULL;
		if (f)
			file_put(f);
	}
	kfree(files);
}

void task_set_cwd(struct task *task, struct inode *dir)
{
	struct list_node *head = &task->group->threads;
	for (struct list_node *l = head->next; l != head; l = l->next) {
		struct task *t = list_entry(l, struct task, group_link);
		if (t->thread_exited)
			continue;
		struct inode *old = t->cwd;
		t->cwd = inode_get(dir);
		if (old)
			inode_put(old);
	}
}

void task_set_umask(struct task *task, u32 umask)
{
	struct list_node *head = &task->group->threads;
	for (struct list_node *l = head->next; l != head; l = l->next)
		list_entry(l, struct task, group_link)->umask = umask;
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
	task->group = thread_group_create(task);
	task->sighand = sighand_create();
	task->files = fd_table_create();
	if (!task->group || !task->sighand || !task->files)
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
