/*
 * wait.c: sleeping on wait queues (wait.h): the parts that need the
 * scheduler. The list operations are in waitq.c.
 */
#include "proc/wait.h"

#include "platform/platform.h"
#include "proc/sched_lock.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "proc/timer.h"
#include "syscalls/linux_abi/errno.h"

static void default_wake(struct wait_entry *e, u32 events)
{
	(void)events;
	sched_wake_locked(e->task);
}

void waitq_wake(struct waitq *q, u32 events)
{
	u64 flags = sched_lock();
	waitq_wake_entries(q, events, default_wake);
	sched_unlock(flags);
}

void waitq_wake_locked(struct waitq *q, u32 events)
{
	waitq_wake_entries(q, events, default_wake);
}

bool waitq_active(struct waitq *q)
{
	u64 flags = sched_lock();
	bool active = !list_empty(&q->head);
	sched_unlock(flags);
	return active;
}

void wait_entry_init(struct wait_entry *e)
{
	list_node_init(&e->link);
	e->queue = NULL;
	e->task = current_task();
	e->wake = NULL;
	e->priv = NULL;
}

void wait_entry_init_callback(struct wait_entry *e, wait_wake_fn wake, void *priv)
{
	wait_entry_init(e);
	e->wake = wake;
	e->priv = priv;
}

void waitq_add(struct waitq *q, struct wait_entry *e)
{
	u64 flags = sched_lock();
	waitq_add_entry(q, e);
	sched_unlock(flags);
}

void waitq_remove(struct wait_entry *e)
{
	u64 flags = sched_lock();
	waitq_remove_entry(e);
	sched_unlock(flags);
}

void wait_prepare(struct waitq *q, struct wait_entry *e)
{
	u64 flags = sched_lock();
	waitq_add_entry(q, e);
	sched_set_sleeping_locked(current_task());
	sched_unlock(flags);
}

void wait_prepare_self(void)
{
	u64 flags = sched_lock();
	sched_set_sleeping_locked(current_task());
	sched_unlock(flags);
}

void wait_finish(struct wait_entry *e)
{
	u64 flags = sched_lock();
	waitq_remove_entry(e);
	current_task()->state = TASK_RUNNABLE;
	sched_unlock(flags);
}

static void timeout_fired(struct ktimer *timer)
{
	sched_wake_locked(timer->arg);
}

int wait_sleep(u64 deadline_ns, bool interruptible)
{
	struct task *self = current_task();
	if (interruptible && signal_interrupts(self))
		return -EINTR;
	if (deadline_ns != WAIT_FOREVER && platform_time_ns() >= deadline_ns)
		return -ETIMEDOUT;
	struct ktimer timer;
	timer_init(&timer, timeout_fired, self);
	if (deadline_ns != WAIT_FOREVER)
		timer_arm(&timer, deadline_ns);
	sched_sleep_switch();
	timer_cancel(&timer);
	if (interruptible && signal_interrupts(self))
		return -EINTR;
	if (deadline_ns != WAIT_FOREVER && platform_time_ns() >= deadline_ns)
		return -ETIMEDOUT;
	return 0;
}

int wait_until(u64 deadline_ns, bool interruptible)
{
	struct wait_entry e;
	wait_entry_init(&e);
	int err;
	do {
		wait_prepare_self();
		err = wait_sleep(deadline_ns, interruptible);
	} while (err == 0);
	wait_finish(&e);
	return err;
}

int wait_event(struct waitq *q, bool (*ready)(void *arg), void *arg, bool nonblock)
{
	struct wait_entry e;
	wait_entry_init(&e);
	int err = 0;
	for (;;) {
		wait_prepare(q, &e);
		if (ready(arg))
			break;
		if (nonblock) {
			err = -EAGAIN;
			break;
		}
		err = wait_sleep(WAIT_FOREVER, true);
		if (err) {
			err = -ERESTARTSYS; /* EINTR, or a restart with SA_RESTART */
			break;
		}
	}
	wait_finish(&e);
	return err;
}
