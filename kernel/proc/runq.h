/*
 * runq.h: the run queue's data structure: a FIFO of runnable tasks that
 * are on no CPU, each with the set of CPUs it may run on. Pure list
 * code (no locks, no tasks: a task embeds a runq_node), unit-tested on
 * the host (tests/host/test_sched.c). proc/sched.c owns the one queue
 * and guards it with the scheduler lock.
 */
#ifndef CVMIFY_PROC_RUNQ_H
#define CVMIFY_PROC_RUNQ_H

#include "lib/list.h"
#include "lib/types.h"

struct runq_node {
	struct list_node link;    /* on the queue, or unlinked */
	u64 cpus_allowed;         /* bit n: may run on CPU n */
};

struct runq {
	struct list_node head;
	u32 count;
};

void runq_init(struct runq *q);
void runq_node_init(struct runq_node *n, u64 cpus_allowed);
/* Append at the tail; n must not be queued. */
void runq_push(struct runq *q, struct runq_node *n);
/* Remove n if queued; true if it was. */
bool runq_remove(struct runq *q, struct runq_node *n);
/* Take the first node allowed on cpu (FIFO among those), or NULL. */
struct runq_node *runq_pop_for(struct runq *q, u32 cpu);
/* Is some node allowed on cpu waiting? */
bool runq_has_work_for(const struct runq *q, u32 cpu);
bool runq_queued(const struct runq_node *n);

#endif
