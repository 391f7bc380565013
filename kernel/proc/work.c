/*
 * work.c: the deferred-work list (work.h). Its lock is innermost: it is
 * taken with interrupts off, under the scheduler lock or none, and held
 * only to link or unlink; the functions run with no spinlock held.
 */
#include "proc/work.h"

#include "arch/x86_64/spinlock.h"
#include "panic.h"
#include "proc/bkl.h"

static struct spinlock g_work_lock = SPINLOCK_INIT("work");
static struct list_node g_pending = { &g_pending, &g_pending };

void work_init(struct kwork *work, void (*fn)(void *arg), void *arg)
{
	list_node_init(&work->link);
	work->fn = fn;
	work->arg = arg;
}

void work_queue(struct kwork *work)
{
	u64 flags = spin_lock_irqsave(&g_work_lock);
	if (!list_linked(&work->link))
		list_push_back(&g_pending, &work->link);
	spin_unlock_irqrestore(&g_work_lock, flags);
}

bool work_cancel(struct kwork *work)
{
	u64 flags = spin_lock_irqsave(&g_work_lock);
	bool queued = list_linked(&work->link);
	if (queued)
		list_remove(&work->link);
	spin_unlock_irqrestore(&g_work_lock, flags);
	return queued;
}

bool work_pending(void)
{
	return __atomic_load_n(&g_pending.next, __ATOMIC_RELAXED) != &g_pending;
}

void work_run_pending(void)
{
	ASSERT(bkl_held());
	for (;;) {
		u64 flags = spin_lock_irqsave(&g_work_lock);
		struct list_node *first = list_first(&g_pending);
		if (first)
			list_remove(first);
		spin_unlock_irqrestore(&g_work_lock, flags);
		if (!first)
			return;
		struct kwork *w = list_entry(first, struct kwork, link);
		w->fn(w->arg);
	}
}
