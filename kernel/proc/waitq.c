/*
 * waitq.c: the wait queue's list operations (wait.h, "pure"): no locks
 * and no scheduler, so the host tests can run them with ASan/UBSan.
 */
#include "proc/wait.h"

void waitq_init(struct waitq *q)
{
	list_init(&q->head);
}

void waitq_add_entry(struct waitq *q, struct wait_entry *e)
{
	if (e->queue)
		return;
	list_push_back(&q->head, &e->link);
	e->queue = q;
}

void waitq_remove_entry(struct wait_entry *e)
{
	if (!e->queue)
		return;
	list_remove(&e->link);
	e->queue = NULL;
}

void waitq_wake_entries(struct waitq *q, u32 events, wait_wake_fn default_wake)
{
	struct list_node *l = q->head.next;
	while (l != &q->head) {
		struct list_node *next = l->next;   /* the callback may unlink l */
		struct wait_entry *e = list_entry(l, struct wait_entry, link);
		if (e->wake)
			e->wake(e, events);
		else
			default_wake(e, events);
		l = next;
	}
}
