/*
 * runq.c: the run queue's list operations (runq.h).
 */
#include "proc/runq.h"

void runq_init(struct runq *q)
{
	list_init(&q->head);
	q->count = 0;
}

void runq_node_init(struct runq_node *n, u64 cpus_allowed)
{
	list_node_init(&n->link);
	n->cpus_allowed = cpus_allowed;
}

bool runq_queued(const struct runq_node *n)
{
	return list_linked(&n->link);
}

void runq_push(struct runq *q, struct runq_node *n)
{
	list_push_back(&q->head, &n->link);
	q->count++;
}

bool runq_remove(struct runq *q, struct runq_node *n)
{
	if (!runq_queued(n))
		return false;
	list_remove(&n->link);
	q->count--;
	return true;
}

static bool allowed(const struct runq_node *n, u32 cpu)
{
	return cpu < 64 && ((n->cpus_allowed >> cpu) & 1);
}

struct runq_node *runq_pop_for(struct runq *q, u32 cpu)
{
	for (struct list_node *l = q->head.next; l != &q->head; l = l->next) {
		struct runq_node *n = list_entry(l, struct runq_node, link);
		if (allowed(n, cpu)) {
			runq_remove(q, n);
			return n;
		}
	}
	return NULL;
}

bool runq_has_work_for(const struct runq *q, u32 cpu)
{
	for (const struct list_node *l = q->head.next; l != &q->head; l = l->next) {
		if (allowed(list_entry(l, struct runq_node, link), cpu))
			return true;
	}
	return false;
}
