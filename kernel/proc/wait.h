/*
 * wait.h: wait queues, and sleeping until an event, a signal or a
 * deadline. Every blocking path in the kernel uses this (pipes, wait4,
 * vfork, the tty, nanosleep, futex, poll/select/epoll, sockets).
 *
 * A wait queue belongs to the object whose state changes (a pipe, a
 * socket, a child list); whoever changes that state calls waitq_wake.
 * Queues and entries are protected by the scheduler lock, taken inside
 * these functions: waitq_wake works from any context, interrupt
 * handlers included. The state itself is the object's business (the
 * big kernel lock for everything in syscalls, docs/kernel-locking.md).
 *
 * Sleeping, the one pattern (the condition is re-checked after every
 * wake-up; a wake-up is a hint, never a promise):
 *
 *	struct wait_entry e;
 *	wait_entry_init(&e);
 *	int err = 0;
 *	for (;;) {
 *		wait_prepare(&obj->waitq, &e);      // queued, marked asleep
 *		if (condition)
 *			break;
 *		err = wait_sleep(deadline, true);   // 0, -EINTR, -ETIMEDOUT
 *		if (err)
 *			break;
 *	}
 *	wait_finish(&e);
 *
 * wait_prepare before the check is what makes it race-free: a wake-up
 * between the check and the sleep marks the task runnable again, and
 * wait_sleep then returns at once. Waiting on several queues (poll) is
 * one entry per queue, all prepared before the check.
 *
 * For poll/select/epoll, file_ops.poll registers the file's queues on a
 * poll table (fs/vfs.h, proc/poll.h); see there.
 */
#ifndef CVMIFY_PROC_WAIT_H
#define CVMIFY_PROC_WAIT_H

#include "lib/list.h"
#include "lib/types.h"

/* No deadline. */
#define WAIT_FOREVER (~0ULL)

struct task;
struct wait_entry;
struct waitq;

/* A wake callback: called with the scheduler lock held and interrupts
 * off, from any context; must be short and must not sleep or take the
 * big kernel lock. events: the poll bits (VFS_POLLIN ...) the waker says
 * became true, or 0 when it does not say. */
typedef void (*wait_wake_fn)(struct wait_entry *entry, u32 events);

struct wait_entry {
	struct list_node link;    /* on queue->head, or unlinked */
	struct waitq *queue;      /* the queue it is on, NULL when none */
	struct task *task;        /* the sleeper (default wake-up) */
	wait_wake_fn wake;        /* NULL: make task runnable */
	void *priv;               /* the callback's own data */
};

struct waitq {
	struct list_node head;
};

void waitq_init(struct waitq *q);
/* Wake every entry of q (see wait_wake_fn for events). */
void waitq_wake(struct waitq *q, u32 events);
/* The same from a timer callback or wake callback (scheduler lock
 * already held). */
void waitq_wake_locked(struct waitq *q, u32 events);
/* Does q have entries? (A hint for callers that can skip a wake-up.) */
bool waitq_active(struct waitq *q);

/* An entry for the current task with the default wake-up. */
void wait_entry_init(struct wait_entry *e);
/* An entry that calls wake(e, events) instead (poll tables, epoll). */
void wait_entry_init_callback(struct wait_entry *e, wait_wake_fn wake, void *priv);

/* Put e on q / take it off, and nothing else (callback entries that
 * outlive a syscall: epoll interests). */
void waitq_add(struct waitq *q, struct wait_entry *e);
void waitq_remove(struct wait_entry *e);

/* Put e on q (unless it is already on it) and mark the current task as
 * going to sleep. Call before checking the condition. */
void wait_prepare(struct waitq *q, struct wait_entry *e);
/* Only mark the current task as going to sleep (entries already queued,
 * e.g. by a poll table). */
void wait_prepare_self(void);
/* Take e off its queue (if any) and mark the task running. */
void wait_finish(struct wait_entry *e);

/* Sleep until woken, a signal (if interruptible) or deadline_ns on the
 * monotonic clock (platform_time_ns). Returns 0 when woken, -EINTR when
 * an unblocked signal is pending, -ETIMEDOUT at the deadline; the clock
 * is read again after waking (the timer interrupt is not trusted).
 * Releases the big kernel lock while asleep if the caller holds it. */
int wait_sleep(u64 deadline_ns, bool interruptible);

/* The common blocking I/O wait (pipes, eventfd, timerfd, sockets):
 * sleep on q until ready(arg) holds (0), a signal arrives (-ERESTARTSYS:
 * the way back to user mode makes it EINTR, or restarts the syscall if
 * the handler has SA_RESTART), or at once -EAGAIN if nonblock and it
 * does not hold yet. ready() runs
 * with the big kernel lock and must not sleep. */
int wait_event(struct waitq *q, bool (*ready)(void *arg), void *arg, bool nonblock);

/* Sleep on nothing until deadline_ns (-ETIMEDOUT) or, if
 * interruptible, a signal (-EINTR): nanosleep, pause. */
int wait_until(u64 deadline_ns, bool interruptible);

/* ---- the list operations, pure (unit-tested on the host) ---- */
void waitq_add_entry(struct waitq *q, struct wait_entry *e);
void waitq_remove_entry(struct wait_entry *e);
/* Call each entry's wake (or default(e) when NULL); an entry may take
 * itself off the queue from its callback, but no other entry. */
void waitq_wake_entries(struct waitq *q, u32 events, wait_wake_fn default_wake);

#endif
