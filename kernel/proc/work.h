/*
 * work.h: deferred work: a function that must run soon, in process
 * context with the big kernel lock held, queued from anywhere (an
 * interrupt handler, a timer callback). It runs on the next CPU that
 * returns to user mode or wakes up idle: device interrupt handlers
 * registered with irq_register (arch/x86_64/irq.h) run this way, and so
 * do timer expiries that post signals.
 */
#ifndef CVMIFY_PROC_WORK_H
#define CVMIFY_PROC_WORK_H

#include "lib/list.h"
#include "lib/types.h"

struct kwork {
	struct list_node link;    /* on the pending list (work lock) */
	void (*fn)(void *arg);
	void *arg;
};

void work_init(struct kwork *work, void (*fn)(void *arg), void *arg);
/* Queue work unless it is already queued. Any context. */
void work_queue(struct kwork *work);
/* Take it off the list if it has not started; true if it was queued. */
bool work_cancel(struct kwork *work);
/* Is anything queued? (A hint, read without the lock.) */
bool work_pending(void);
/* Run everything queued (the caller holds the big kernel lock). */
void work_run_pending(void);

#endif
