/*
 * sched.c: the scheduler (sched.h), the scheduler lock (sched_lock.h)
 * and the way back to user mode.
 *
 * The scheduler lock is held across arch_switch: the task that switches
 * in releases it. So no other CPU can pick a task, or see it off its
 * CPU, before its registers and stack are completely saved. The big
 * kernel lock is released before a switch and taken again after it
 * (reschedule), never held by a CPU that waits for the scheduler lock.
 *
 * A switch saves the old task's user FPU registers and FS/GS bases
 * (the app may change them itself with WRFSBASE/WRGSBASE), loads the
 * new task's address space (mm/tlb.c keeps track of which CPU uses
 * which), kernel stack (TSS.rsp0 and the syscall stack), FPU state and
 * bases, then arch_switch moves the kernel registers.
 */
#include "proc/sched.h"

#include "arch/x86_64/arch.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/spinlock.h"
#include "lib/kprintf.h"
#include "mm/tlb.h"
#include "panic.h"
#include "platform/platform.h"
#include "proc/bkl.h"
#include "proc/cputime.h"
#include "proc/runq.h"
#include "proc/sched_lock.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "proc/timer.h"
#include "proc/work.h"
#include "syscalls/linux_abi/errno.h"

static struct spinlock g_sched_lock = SPINLOCK_INIT("sched");
static struct runq g_runq;
static u64 g_switches;

u64 sched_lock(void)
{
	return spin_lock_irqsave(&g_sched_lock);
}

void sched_unlock(u64 rflags)
{
	spin_unlock_irqrestore(&g_sched_lock, rflags);
}

bool sched_locked(void)
{
	return spin_held(&g_sched_lock);
}

u64 sched_switch_count(void)
{
	return __atomic_load_n(&g_switches, __ATOMIC_RELAXED);
}

static u64 g_resched_ipis;
static u64 g_migrations; /* sched lock */

static void send_resched(u32 cpu_index)
{
	__atomic_add_fetch(&g_resched_ipis, 1, __ATOMIC_RELAXED);
	irq_send_ipi(cpu_index, VECTOR_RESCHEDULE);
}

void sched_log_stats(void)
{
	u64 early = 0, irqs = 0;
	for (u32 i = 0; i < cpu_count(); i++) {
		early += cpu_by_index(i)->ticks_early;
		irqs += cpu_by_index(i)->irq_count;
	}
	kprintf("sched: %lu switches, %lu migrations, %lu reschedule IPIs, %lu TLB shootdowns, %lu interrupts "
		"(%lu early timer ticks) on %u vCPUs\n", sched_switch_count(), g_migrations,
		__atomic_load_n(&g_resched_ipis, __ATOMIC_RELAXED), tlb_shootdown_count(), irqs, early,
		cpu_count());
}

static struct task *task_of(struct runq_node *n)
{
	return list_entry(n, struct task, run);
}

/* ---- the timer of this CPU ---- */

void sched_rearm_locked(void)
{
	struct percpu *cpu = this_cpu();
	u64 next = timer_next_deadline_locked();
	if (!cpu->current->is_idle)
		next = MIN(next, cpu->slice_end_ns);
	if (next == TIMERQ_NEVER)
		next = 0;
	if (next == cpu->timer_armed_ns)
		return;
	/* Never move an armed deadline later: that costs a write to the
	 * local APIC (a VM exit; under TCG the emulator's global lock) on
	 * nearly every switch, while letting it fire costs one interrupt,
	 * which re-arms for what is due then. */
	if (cpu->timer_armed_ns && (next == 0 || next > cpu->timer_armed_ns))
		return;
	cpu->timer_armed_ns = next;
	platform_timer_arm(next);
}

/* ---- waking ---- */

/* Send a reschedule IPI to one idle CPU that may run task. */
static void kick_idle_cpu_locked(struct task *task)
{
	u64 online = cpu_online_mask() & task->run.cpus_allowed;
	u32 self = this_cpu()->index;
	for (u32 i = 0; i < MAX_CPUS; i++) {
		if (!((online >> i) & 1))
			continue;
		struct percpu *c = cpu_by_index(i);
		if (!c->idle_waiting)
			continue;
		c->idle_waiting = false;
		if (i != self)
			send_resched(i);
		return;
	}
}

/* Send reschedule IPIs to idle CPUs that have queued work, at most
 * one per queued task. */
static void kick_for_queue_locked(void)
{
	u64 online = cpu_online_mask();
	u32 self = this_cpu()->index;
	u32 budget = g_runq.count;
	for (u32 i = 0; i < MAX_CPUS && budget > 0; i++) {
		if (!((online >> i) & 1))
			continue;
		struct percpu *c = cpu_by_index(i);
		if (!c->idle_waiting || !runq_has_work_for(&g_runq, i))
			continue;
		c->idle_waiting = false;
		if (i != self)
			send_resched(i);
		budget--;
	}
}

/* This CPU's waker went to sleep, kept running too long, or was
 * interrupted: wake idle CPUs for what is still queued. */
static void kick_deferred_locked(struct percpu *cpu)
{
	if (!cpu->kick_deferred)
		return;
	cpu->kick_deferred = false;
	kick_for_queue_locked();
}

/* A task was queued: who runs it (sched.h). A task woken by one that
 * has been going to sleep right after its wake-ups waits for the
 * waker's CPU; any other gets an idle CPU now. */
static void place_woken_locked(struct task *task)
{
	struct percpu *cpu = this_cpu();
	struct task *waker = cpu->current;
	bool from_task = cpu->irq_depth == 0 && !waker->is_idle;
	if (from_task && cpu_count() > 1 && ((task->run.cpus_allowed >> cpu->index) & 1)) {
		waker->exits_since_wake = 0;
		if (waker->wake_then_sleep >= SCHED_WAKE_AFFINE_SCORE) {
			cpu->kick_deferred = true;
			return;
		}
	}
	kick_idle_cpu_locked(task);
}

/* The waker cur leaves its CPU: it slept (or exited) soon enough after
 * its last wake-up, or it was preempted. */
static void learn_at_switch_locked(struct task *cur, bool sleeping)
{
	if (cur->exits_since_wake == SCHED_NO_WAKE)
		return;
	if (sleeping && cur->wake_then_sleep < SCHED_WAKE_AFFINE_MAX)
		cur->wake_then_sleep++;
	else if (!sleeping)
		cur->wake_then_sleep = 0;
	cur->exits_since_wake = SCHED_NO_WAKE;
}

/* The current task goes back to user mode (interrupted: an interrupt
 * arrived while it ran there). Past SCHED_WAKE_DEFER_EXITS returns, or
 * after an interrupt, it has kept running: its deferred kick goes out
 * and it wakes others at once until it learns again. */
static void learn_at_exit_locked(struct percpu *cpu, bool interrupted)
{
	struct task *cur = cpu->current;
	if (cur->exits_since_wake != SCHED_NO_WAKE &&
	    (interrupted || ++cur->exits_since_wake > SCHED_WAKE_DEFER_EXITS)) {
		cur->wake_then_sleep = 0;
		cur->exits_since_wake = SCHED_NO_WAKE;
	}
	if (cpu->kick_deferred && (interrupted || cur->exits_since_wake == SCHED_NO_WAKE))
		kick_deferred_locked(cpu);
}

void sched_exiting(struct task *task)
{
	u64 flags = sched_lock();
	task->wake_then_sleep = SCHED_WAKE_AFFINE_MAX;
	sched_unlock(flags);
}

void sched_wake_locked(struct task *task)
{
	if (task->state != TASK_SLEEPING)
		return;
	task->state = TASK_RUNNABLE;
	/* Still on its CPU (between wait_prepare and the switch): it will
	 * see the new state and not switch away at all. */
	if (task->on_cpu < 0 && !runq_queued(&task->run)) {
		runq_push(&g_runq, &task->run);
		place_woken_locked(task);
	}
}

void sched_set_sleeping_locked(struct task *task)
{
	task->state = TASK_SLEEPING;
}

void sched_wake(struct task *task)
{
	u64 flags = sched_lock();
	sched_wake_locked(task);
	sched_unlock(flags);
}

void sched_kick(struct task *task)
{
	u64 flags = sched_lock();
	sched_wake_locked(task);
	if (task->on_cpu >= 0 && task->on_cpu != (s32)this_cpu()->index)
		send_resched((u32)task->on_cpu);
	sched_unlock(flags);
}

/* ---- switching ---- */

/* Threads that exited and are off their CPU, waiting to be freed
 * (not leaders: their parent reaps those). Scheduler lock. */
static struct task *g_dead;
static struct kwork g_reap_work;

static void reap_dead(void *arg)
{
	(void)arg;
	for (;;) {
		u64 flags = sched_lock();
		struct task *t = g_dead;
		if (t)
			g_dead = t->next_dead;
		sched_unlock(flags);
		if (!t)
			return;
		task_free(t);
	}
}

/* In the task switched to: the switch is complete. */
static void finish_switch_locked(void)
{
	struct percpu *cpu = this_cpu();
	cpu->current->on_cpu = (s32)cpu->index;
	struct task *prev = cpu->prev;
	cpu->prev = NULL;
	if (prev && prev->state == TASK_ZOMBIE && prev->tid != prev->pid) {
		prev->next_dead = g_dead;
		g_dead = prev;
		work_queue(&g_reap_work);
	}
	sched_rearm_locked();
}

static void context_switch(struct task *prev, struct task *next)
{
	struct percpu *cpu = this_cpu();
	cputime_switch_locked(prev, next);
	rusage_switch_locked(prev);
	fpu_save(&prev->fpu);
	prev->fs_base = arch_get_fs_base();
	prev->gs_base = arch_get_user_gs_base();
	prev->on_cpu = -1;

	ASSERT(next->on_cpu < 0 && !runq_queued(&next->run));
	cpu->current = next;
	if (next->last_cpu >= 0 && next->last_cpu != (s32)cpu->index && !next->is_idle)
		g_migrations++;
	next->last_cpu = (s32)cpu->index;
	next->on_cpu = (s32)cpu->index;
	tlb_switch_mm(prev->mm, next->mm);
	arch_set_kernel_stack(task_kstack_top(next));
	fpu_restore(&next->fpu);
	arch_set_fs_base(next->fs_base);
	arch_set_user_gs_base(next->gs_base);
	cpu->slice_end_ns = platform_time_ns() + SCHED_SLICE_NS;
	cpu->need_resched = false;
	cpu->prev = prev;
	__atomic_add_fetch(&g_switches, 1, __ATOMIC_RELAXED);

	arch_switch(&prev->context, next->context);
	/* prev runs again: whoever switched to it saved its own state. */
	finish_switch_locked();
}

/* Pick what runs next on this CPU and switch to it. requeue: the
 * current task stays runnable but goes to the back of the queue. */
static void switch_locked(bool requeue)
{
	struct percpu *cpu = this_cpu();
	struct task *cur = cpu->current;
	timer_run_due_locked(platform_time_ns());
	bool runnable = cur->state == TASK_RUNNABLE && !cur->is_idle;
	if (!cur->is_idle)
		learn_at_switch_locked(cur, !runnable);
	struct task *next;
	if (runnable && !requeue) {
		next = cur;
	} else {
		if (runnable) {
			ASSERT(!runq_queued(&cur->run));
			runq_push(&g_runq, &cur->run);
			if (!((cur->run.cpus_allowed >> cpu->index) & 1))
				kick_idle_cpu_locked(cur); /* pinned elsewhere */
		}
		struct runq_node *n = runq_pop_for(&g_runq, cpu->index);
		next = n ? task_of(n) : cpu->idle;
		kick_deferred_locked(cpu);
	}
	cpu->need_resched = false;
	if (next == cur) {
		cpu->slice_end_ns = platform_time_ns() + SCHED_SLICE_NS;
		sched_rearm_locked();
		return;
	}
	context_switch(cur, next);
}

/* Switch with the big kernel lock released around it (if held). */
static void reschedule(bool requeue)
{
	bool had_bkl = bkl_held();
	if (had_bkl)
		bkl_unlock();
	u64 flags = sched_lock();
	switch_locked(requeue);
	sched_unlock(flags);
	if (had_bkl)
		bkl_lock();
}

void sched_yield(void)
{
	reschedule(true);
}

/* wait_sleep's switch: away if the task is still marked asleep. */
void sched_sleep_switch(void)
{
	reschedule(false);
}

void sched_exit(void)
{
	struct task *cur = current_task();
	if (bkl_held())
		bkl_unlock();
	sched_lock();
	cur->state = TASK_ZOMBIE;
	switch_locked(false);
	panic("sched_exit: a zombie ran again");
}

void sched_wait_off_cpu(struct task *task)
{
	/* Its last switch held the lock until it was off its CPU. */
	for (;;) {
		u64 flags = sched_lock();
		bool off = task->on_cpu < 0;
		sched_unlock(flags);
		if (off)
			return;
		cpu_pause();
	}
}

int sched_set_affinity(struct task *task, u64 mask)
{
	mask &= cpu_online_mask();
	if (!mask)
		return -EINVAL;
	u64 flags = sched_lock();
	task->run.cpus_allowed = mask;
	if (task->on_cpu >= 0 && !((mask >> task->on_cpu) & 1)) {
		if (task->on_cpu == (s32)this_cpu()->index)
			this_cpu()->need_resched = true;
		else
			send_resched((u32)task->on_cpu);
	}
	sched_unlock(flags);
	return 0;
}

void sched_first_run(struct trapframe *tf)
{
	/* We got here from context_switch in the task before us, which
	 * holds the scheduler lock; interrupts stay off until user mode. */
	finish_switch_locked();
	cputime_first_user();
	spin_unlock(&g_sched_lock);
	arch_enter_user(tf);
}

void sched_start_first(struct task *task)
{
	struct percpu *cpu = this_cpu();
	u64 flags = sched_lock();
	cpu->idle->on_cpu = -1;
	cpu->current = task;
	task->on_cpu = (s32)cpu->index;
	cputime_start(task);
	cpu->slice_end_ns = platform_time_ns() + SCHED_SLICE_NS;
	sched_rearm_locked();
	sched_unlock(flags);
}

/* ---- interrupts ---- */

void sched_timer_interrupt(void)
{
	struct percpu *cpu = this_cpu();
	u64 flags = sched_lock();
	u64 now = platform_time_ns();
	if (cpu->timer_armed_ns && now < cpu->timer_armed_ns)
		cpu->ticks_early++; /* the host fired early: re-armed below */
	cpu->timer_armed_ns = 0;
	timer_run_due_locked(now);
	if (!cpu->current->is_idle && now >= cpu->slice_end_ns) {
		if (runq_has_work_for(&g_runq, cpu->index))
			cpu->need_resched = true; /* acted on before user mode */
		/* The next tick, one slice on: a new slice, or a backstop if
		 * the switch has to wait (never a deadline in the past, which
		 * would fire again at once). */
		cpu->slice_end_ns = now + SCHED_SLICE_NS;
	}
	sched_rearm_locked();
	sched_unlock(flags);
}

void sched_resched_ipi(void)
{
	/* The interrupted code decides: the idle loop looks at the run
	 * queue, the way back to user mode at signals and the slice. */
	struct percpu *cpu = this_cpu();
	u64 flags = sched_lock();
	struct task *cur = cpu->current;
	if (!cur->is_idle && !((cur->run.cpus_allowed >> cpu->index) & 1))
		cpu->need_resched = true; /* its affinity no longer has us */
	sched_unlock(flags);
}

/* ---- the way back to user mode ---- */

void sched_exit_to_user(struct trapframe *tf)
{
	struct percpu *cpu = this_cpu();
	if (cpu->kick_deferred || cpu->current->exits_since_wake != SCHED_NO_WAKE) {
		u64 flags = sched_lock();
		learn_at_exit_locked(cpu, false);
		sched_unlock(flags);
	}
	for (;;) {
		if (work_pending())
			work_run_pending();
		/* Ask again each time: after a switch we may be on another CPU. */
		if (!this_cpu()->need_resched)
			break;
		sched_yield();
	}
	signal_deliver_pending(tf);
	bkl_unlock();
}

void sched_irq_exit_to_user(struct trapframe *tf)
{
	struct percpu *cpu = this_cpu();
	if (cpu->kick_deferred || cpu->current->exits_since_wake != SCHED_NO_WAKE) {
		u64 flags = sched_lock();
		learn_at_exit_locked(cpu, true);
		sched_unlock(flags);
	}
	if (cpu->need_resched || work_pending() || signal_interrupts(cpu->current)) {
		bkl_lock();
		sched_exit_to_user(tf);
	}
}

/* ---- idle ---- */

static void idle_loop(void)
{
	struct percpu *cpu = this_cpu();
	for (;;) {
		if (work_pending()) {
			bkl_lock();
			work_run_pending();
			bkl_unlock();
		}
		u64 flags = sched_lock();
		/* Expire due timers first: a task they wake must be seen by the
		 * check below, not wait behind a hlt nothing ends. */
		timer_run_due_locked(platform_time_ns());
		if (runq_has_work_for(&g_runq, cpu->index)) {
			switch_locked(true);
			sched_unlock(flags);
			continue;
		}
		cpu->idle_waiting = true;
		sched_rearm_locked();
		sched_unlock(flags);
		/* A wake-up after the check above sends an IPI, which stays
		 * pending until sti and then ends the hlt. */
		if (!work_pending() && cpu->idle_waiting)
			cpu_sti_hlt();
		cpu_cli();
		flags = sched_lock();
		cpu->idle_waiting = false;
		sched_unlock(flags);
	}
}

static void idle_entry(void *arg)
{
	(void)arg;
	/* First switch to the idle task: finish it like any other. */
	finish_switch_locked();
	spin_unlock(&g_sched_lock);
	idle_loop();
}

void sched_run_idle(void)
{
	idle_loop();
	__builtin_unreachable();
}

struct task *sched_alloc_idle(void *stack)
{
	struct task *idle = task_alloc_idle(stack);
	if (!idle)
		return NULL;
	if (!stack) {
		/* The boot CPU leaves its boot stack for the first task; its
		 * idle task starts fresh the first time it is switched to. */
		idle->context = arch_context_init(task_kstack_top(idle), idle_entry, NULL);
	}
	return idle;
}

void sched_init_cpu(struct task *idle)
{
	struct percpu *cpu = this_cpu();
	cpu->idle = idle;
	cpu->current = idle;
	idle->on_cpu = (s32)cpu->index;
}

void sched_init(void)
{
	runq_init(&g_runq);
	work_init(&g_reap_work, reap_dead, NULL);
	struct task *idle = sched_alloc_idle(NULL);
	if (!idle)
		panic("sched: no memory for the boot CPU's idle task");
	sched_init_cpu(idle);
}
