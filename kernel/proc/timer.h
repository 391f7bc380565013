/*
 * timer.h: kernel timers: call a function once the monotonic clock
 * (platform_time_ns) reaches a deadline. Sleep timeouts, alarm,
 * setitimer, POSIX timers and timerfd are built on them.
 *
 * The callback runs in interrupt context (or wherever the scheduler
 * notices the deadline passed: it checks the clock on every timer
 * interrupt, switch and idle wake-up, so a lost or early interrupt only
 * delays, never skips, a timer), with the scheduler lock held and
 * interrupts off: it may wake tasks and wait queues or queue deferred
 * work (work.h), nothing more. A timer is armed at most once at a time;
 * timer_cancel guarantees the callback is not running and will not run
 * (unless re-armed), so the timer's memory may then be reused.
 */
#ifndef CVMIFY_PROC_TIMER_H
#define CVMIFY_PROC_TIMER_H

#include "lib/types.h"
#include "proc/timerq.h"

struct ktimer;
typedef void (*ktimer_fn)(struct ktimer *timer);

struct ktimer {
	struct timerq_node node;  /* on the timer queue (scheduler lock) */
	ktimer_fn fn;
	void *arg;                /* the owner's data */
};

void timer_init(struct ktimer *timer, ktimer_fn fn, void *arg);
/* (Re)arm for deadline_ns; a deadline in the past fires at the next
 * check, soon. */
void timer_arm(struct ktimer *timer, u64 deadline_ns);
/* Disarm; true if it was armed (and so did not fire). */
bool timer_cancel(struct ktimer *timer);
bool timer_armed(const struct ktimer *timer);

/* proc/ only, scheduler lock held: */
void timer_arm_locked(struct ktimer *timer, u64 deadline_ns);
bool timer_cancel_locked(struct ktimer *timer);
/* In a periodic timer's callback: how many periods have passed (1 on
 * time, more when the interrupt came late), re-arming it for the next
 * period boundary (interval_ns 0: a one-shot, 1). */
u64 timer_periodic_rearm_locked(struct ktimer *timer, u64 interval_ns);
/* Run every timer due at now. */
void timer_run_due_locked(u64 now);
/* The earliest armed deadline, or TIMERQ_NEVER. */
u64 timer_next_deadline_locked(void);

#endif
