/*
 * timerq.c: the timer queue's list operations (timerq.h). Insertion
 * walks from the tail: new timers usually expire after the queued ones.
 */
#include "proc/timerq.h"

void timerq_init(struct timerq *q)
{
	list_init(&q->head);
}

void timerq_node_init(struct timerq_node *n)
{
	list_node_init(&n->link);
	n->deadline = TIMERQ_NEVER;
}

bool timerq_queued(const struct timerq_node *n)
{
	return list_linked(&n->link);
}

void timerq_insert(struct timerq *q, struct timerq_node *n, u64 deadline)
{
	n->deadline = deadline;
	struct list_node *pos = q->head.prev;
	while (pos != &q->head && list_entry(pos, struct timerq_node, link)->deadline > deadline)
		pos = pos->prev;
	/* pos is the last node due no later than n (or the head). */
	list_insert_before(pos->next, &n->link);
}

bool timerq_remove(struct timerq_node *n)
{
	if (!timerq_queued(n))
		return false;
	list_remove(&n->link);
	return true;
}

u64 timerq_first_deadline(const struct timerq *q)
{
	struct list_node *first = list_first(&q->head);
	return first ? list_entry(first, struct timerq_node, link)->deadline : TIMERQ_NEVER;
}

struct timerq_node *timerq_pop_due(struct timerq *q, u64 now)
{
	struct list_node *first = list_first(&q->head);
	if (!first)
		return NULL;
	struct timerq_node *n = list_entry(first, struct timerq_node, link);
	if (n->deadline > now)
		return NULL;
	list_remove(first);
	return n;
}
