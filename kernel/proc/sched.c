/*
 * sched.c: the round-robin scheduler (see sched.h).
 *
 * A switch saves the user FPU registers and FS base of the old task,
 * then loads the new task's address space, kernel stack (TSS.rsp0 and
 * the syscall stack), FPU state and FS base before arch_switch moves
 * the kernel registers.
 */
#include "proc/sched.h"

#include "arch/x86_64/arch.h"
#include "control/control.h"
#include "lib/kprintf.h"
#include "mm/vma.h"
#include "panic.h"
#include "proc/proc.h"
#include "proc/task.h"
#include "syscalls/linux_abi/signal.h"

static void switch_to(struct task *next)
{
	struct task *prev = current_task();
	if (next == prev)
		return;
	fpu_save(&prev->fpu);
	task_set_current(next);
	mm_activate(next->mm);
	arch_set_kernel_stack(task_kstack_top(next));
	fpu_restore(&next->fpu);
	arch_set_fs_base(next->fs_base);
	arch_switch(&prev->context, next->context);
	/* Back in prev: whoever switched to us restored our state. */
}

/* The next runnable task after the current one, round robin; NULL if
 * there is none (the current one included). */
static struct task *pick_next(void)
{
	struct task *cur = current_task();
	for (struct task *t = cur->next; t; t = t->next) {
		if (t->state == TASK_RUNNABLE)
			return t;
	}
	for (struct task *t = task_first(); t; t = t->next) {
		if (t->state == TASK_RUNNABLE)
			return t;
		if (t == cur)
			break;
	}
	return NULL;
}

static void schedule(void)
{
	struct task *next = pick_next();
	if (!next) {
		kprintf("sched: every task is asleep: deadlock, ending the app\n");
		proc_exit_app(0, SIGKILL);
	}
	switch_to(next);
}

void sched_sleep(const void *chan)
{
	struct task *cur = current_task();
	cur->state = TASK_SLEEPING;
	cur->sleep_chan = chan;
	schedule();
	ASSERT(cur->state == TASK_RUNNABLE);
}

void sched_wakeup(const void *chan)
{
	for (struct task *t = task_first(); t; t = t->next) {
		if (t->state == TASK_SLEEPING && t->sleep_chan == chan) {
			t->state = TASK_RUNNABLE;
			t->sleep_chan = NULL;
		}
	}
}

void sched_yield(void)
{
	control_poll(false); /* waiting tasks yield: host requests may be waiting too */
	struct task *next = pick_next();
	if (next)
		switch_to(next);
}

void sched_exit(void)
{
	ASSERT(current_task()->state == TASK_ZOMBIE);
	schedule();
	panic("sched_exit: a zombie ran again");
}

int sched_live_tasks(void)
{
	int n = 0;
	for (struct task *t = task_first(); t; t = t->next)
		n += t->state != TASK_ZOMBIE;
	return n;
}
