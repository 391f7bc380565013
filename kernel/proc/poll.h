/*
 * poll.h: readiness, for poll, select and epoll.
 *
 * A file type that can block implements file_ops.poll (fs/vfs.h) like
 * this (pipes, the tty, eventfd, timerfd, signalfd, sockets):
 *
 *	static u32 thing_poll(struct file *file, u32 events, struct poll_table *pt)
 *	{
 *		struct thing *t = file->priv;
 *		poll_wait(pt, &t->waitq);   // each queue whose wake-ups may change the answer
 *		u32 ready = 0;
 *		if (t->bytes_in > 0)
 *			ready |= VFS_POLLIN;
 *		if (t->room > 0)
 *			ready |= VFS_POLLOUT;
 *		if (t->peer_gone)
 *			ready |= VFS_POLLHUP;
 *		return ready;               // the caller masks it with events
 *	}
 *
 * Register first, then look: a change between the two is then never
 * missed. poll_wait does nothing when pt is NULL (a plain readiness
 * check). Whoever changes the answer calls waitq_wake(&t->waitq, bits)
 * with the bits that became true (VFS_POLLIN ...) or 0 when unsure; epoll
 * uses the bits to skip wake-ups nobody asked for. poll runs with the big
 * kernel lock held and must not sleep. POLLERR and POLLHUP are reported
 * whether asked for or not.
 *
 * The poll table is the caller's: poll/select (poll_set below) put one
 * wait entry for the calling task on each queue; epoll (proc/epoll.c)
 * puts one with a callback that marks the interest ready.
 */
#ifndef CVMIFY_PROC_POLL_H
#define CVMIFY_PROC_POLL_H

#include "lib/types.h"
#include "proc/wait.h"

struct poll_table {
	void (*queue)(struct poll_table *pt, struct waitq *q);
};

static inline void poll_wait(struct poll_table *pt, struct waitq *q)
{
	if (pt && pt->queue)
		pt->queue(pt, q);
}

/* ---- poll/select: the calling task waits on many queues ---- */

#define POLL_SET_BLOCK 32

struct poll_block {
	struct poll_block *next;
	u32 used;
	struct wait_entry entries[POLL_SET_BLOCK];
};

struct poll_set {
	struct poll_table pt;     /* pass &set->pt to vfs_poll */
	struct poll_block *blocks;
	bool out_of_memory;       /* some queue could not be joined */
};

void poll_set_init(struct poll_set *set);
/* Take every entry off its queue and free the set's memory. */
void poll_set_finish(struct poll_set *set);

#endif
