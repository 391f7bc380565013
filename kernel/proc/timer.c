/*
 * timer.c: the kernel timer queue (timer.h), one for all CPUs, under
 * the scheduler lock. Each CPU programs its local APIC for the earliest
 * of this queue and its own time slice (proc/sched.c).
 */
#include "proc/timer.h"

#include "platform/platform.h"
#include "proc/sched_lock.h"

static struct timerq g_timers = { { &g_timers.head, &g_timers.head } };

void timer_init(struct ktimer *timer, ktimer_fn fn, void *arg)
{
	timerq_node_init(&timer->node);
	timer->fn = fn;
	timer->arg = arg;
}

bool timer_armed(const struct ktimer *timer)
{
	return timerq_queued(&timer->node);
}

void timer_arm_locked(struct ktimer *timer, u64 deadline_ns)
{
	timerq_remove(&timer->node);
	bool earliest = deadline_ns < timerq_first_deadline(&g_timers);
	timerq_insert(&g_timers, &timer->node, deadline_ns);
	if (earliest)
		sched_rearm_locked();
}

bool timer_cancel_locked(struct ktimer *timer)
{
	return timerq_remove(&timer->node);
}

void timer_arm(struct ktimer *timer, u64 deadline_ns)
{
	u64 flags = sched_lock();
	timer_arm_locked(timer, deadline_ns);
	sched_unlock(flags);
}

bool timer_cancel(struct ktimer *timer)
{
	u64 flags = sched_lock();
	bool was = timer_cancel_locked(timer);
	sched_unlock(flags);
	return was;
}

u64 timer_periodic_rearm_locked(struct ktimer *timer, u64 interval_ns)
{
	if (!interval_ns)
		return 1;
	u64 now = platform_time_ns();
	u64 due = timer->node.deadline;
	u64 count = 1;
	if (now > due)
		count += (now - due) / interval_ns; /* periods we were late by */
	timer_arm_locked(timer, due + count * interval_ns);
	return count;
}

void timer_run_due_locked(u64 now)
{
	struct timerq_node *n;
	while ((n = timerq_pop_due(&g_timers, now)) != NULL) {
		struct ktimer *t = list_entry(n, struct ktimer, node);
		t->fn(t);
	}
}

u64 timer_next_deadline_locked(void)
{
	return timerq_first_deadline(&g_timers);
}
