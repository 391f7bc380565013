/*
 * poll.c: the wait entries of poll and select (poll.h): one per queue a
 * polled file registered, in blocks that never move while queued.
 */
#include "proc/poll.h"

#include "mm/kmalloc.h"

static void set_queue(struct poll_table *pt, struct waitq *q)
{
	struct poll_set *set = (struct poll_set *)(void *)pt;
	struct poll_block *b = set->blocks;
	if (!b || b->used == POLL_SET_BLOCK) {
		b = kzalloc(sizeof(*b));
		if (!b) {
			/* Without an entry we would miss this queue's
			 * wake-ups: the caller then re-polls on a timer. */
			set->out_of_memory = true;
			return;
		}
		b->next = set->blocks;
		set->blocks = b;
	}
	struct wait_entry *e = &b->entries[b->used++];
	wait_entry_init(e);
	wait_prepare(q, e);
}

void poll_set_init(struct poll_set *set)
{
	set->pt.queue = set_queue;
	set->blocks = NULL;
	set->out_of_memory = false;
}

void poll_set_finish(struct poll_set *set)
{
	struct poll_block *b = set->blocks;
	while (b) {
		for (u32 i = 0; i < b->used; i++)
			wait_finish(&b->entries[i]);
		struct poll_block *next = b->next;
		kfree(b);
		b = next;
	}
	set->blocks = NULL;
	/* The task runs on, even if no file gave a queue to sleep on. */
	struct wait_entry none;
	wait_entry_init(&none);
	wait_finish(&none);
}
