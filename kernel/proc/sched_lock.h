/*
 * sched_lock.h: inside proc/ only: the scheduler lock, which guards the
 * run queue, every task's state and on_cpu, all wait queues and the
 * timer queue (docs/kernel-locking.md). It is taken with interrupts off
 * (interrupt handlers take it too) and nests inside the big kernel
 * lock, never the other way round.
 */
#ifndef CVMIFY_PROC_SCHED_LOCK_H
#define CVMIFY_PROC_SCHED_LOCK_H

#include "lib/types.h"

struct task;

u64 sched_lock(void);            /* returns the RFLAGS to restore */
void sched_unlock(u64 rflags);
bool sched_locked(void);         /* by this CPU (assertions) */

/* With the lock held: */
void sched_wake_locked(struct task *task);
void sched_set_sleeping_locked(struct task *task);
/* Re-program this CPU's timer after the timer queue changed. */
void sched_rearm_locked(void);

/* Without the lock: switch away unless the current task was woken
 * since it was marked asleep (wait_sleep). */
void sched_sleep_switch(void);

#endif
