/*
 * timerq.h: the timer queue's data structure: nodes sorted by deadline,
 * equal deadlines in arming order. Pure list code (a timer embeds a
 * timerq_node), unit-tested on the host (tests/host/test_sched.c);
 * proc/timer.c owns the one queue under the scheduler lock and runs
 * the callbacks.
 */
#ifndef CVMIFY_PROC_TIMERQ_H
#define CVMIFY_PROC_TIMERQ_H

#include "lib/list.h"
#include "lib/types.h"

#define TIMERQ_NEVER (~0ULL)

struct timerq_node {
	struct list_node link;    /* on the queue, or unlinked */
	u64 deadline;             /* nanoseconds of monotonic time */
};

struct timerq {
	struct list_node head;    /* earliest first */
};

void timerq_init(struct timerq *q);
void timerq_node_init(struct timerq_node *n);
bool timerq_queued(const struct timerq_node *n);
/* Insert n (not queued) at deadline's place. */
void timerq_insert(struct timerq *q, struct timerq_node *n, u64 deadline);
/* Remove n if queued; true if it was. */
bool timerq_remove(struct timerq_node *n);
/* The earliest deadline, or TIMERQ_NEVER when empty. */
u64 timerq_first_deadline(const struct timerq *q);
/* Unlink and return the first node with deadline <= now, or NULL. */
struct timerq_node *timerq_pop_due(struct timerq *q, u64 now);

#endif
