/*
 * epoll.c: epoll instances (epoll.h).
 *
 * Locks: the interest list, each interest's mask and data, and the
 * per-file list belong to the big kernel lock; the ready list and each
 * interest's "disabled" flag to the scheduler lock, because wait-queue
 * callbacks (possibly in interrupt context: a timerfd expiring) add to
 * it. The callback never calls into the file: epoll_wait asks the file
 * for its state itself, with the big kernel lock.
 */
#include "proc/epoll.h"

#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "lib/list.h"
#include "mm/kmalloc.h"
#include "proc/poll.h"
#include "proc/sched_lock.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

#define ITEM_QUEUES 4        /* wait queues one file may name */
#define NEST_MAX 4           /* epoll inside epoll, like Linux */
#define ALWAYS (EPOLLERR | EPOLLHUP)
#define EVENT_BITS (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDNORM | \
                    EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND | EPOLLMSG | EPOLLRDHUP)

struct epoll {
	struct waitq wait;          /* epoll_wait sleepers, pollers of this fd */
	struct list_node items;     /* every interest */
	struct list_node ready;     /* ready interests (scheduler lock) */
};

struct epitem {
	struct list_node link;      /* in ep->items */
	struct list_node file_link; /* in file->epoll_links */
	struct list_node ready_link;/* in ep->ready (scheduler lock) */
	struct epoll *ep;
	struct file *file;          /* no reference: removed when it dies */
	int fd;
	u32 events;                 /* EVENT_BITS asked for, plus ALWAYS */
	bool edge;                  /* EPOLLET */
	bool oneshot;               /* EPOLLONESHOT */
	bool disabled;              /* oneshot fired (scheduler lock) */
	u64 data;
	struct poll_table pt;
	u32 queues;
	struct wait_entry entries[ITEM_QUEUES];
};

static const struct file_ops g_epoll_ops;

bool epoll_is(const struct file *file)
{
	return file->ops == &g_epoll_ops;
}

/* Wait-queue callback: scheduler lock held, any context. */
static void item_wake(struct wait_entry *e, u32 events)
{
	struct epitem *it = e->priv;
	if (it->disabled)
		return;
	if (events && !(events & it->events))
		return; /* the waker says nothing we asked for happened */
	if (!list_linked(&it->ready_link)) {
		list_push_back(&it->ep->ready, &it->ready_link);
		waitq_wake_locked(&it->ep->wait, EPOLLIN);
	}
}

static void item_queue(struct poll_table *pt, struct waitq *q)
{
	struct epitem *it = list_entry(pt, struct epitem, pt);
	if (it->queues == ITEM_QUEUES) {
		kprintf("epoll: a file named more than %d wait queues\n", ITEM_QUEUES);
		return;
	}
	struct wait_entry *e = &it->entries[it->queues++];
	wait_entry_init_callback(e, item_wake, it);
	waitq_add(q, e);
}

/* Put it on the ready list (if not there) and wake epoll_wait. */
static void mark_ready(struct epitem *it)
{
	u64 flags = sched_lock();
	if (!it->disabled && !list_linked(&it->ready_link)) {
		list_push_back(&it->ep->ready, &it->ready_link);
		waitq_wake_locked(&it->ep->wait, EPOLLIN);
	}
	sched_unlock(flags);
}

static void item_free(struct epitem *it)
{
	for (u32 i = 0; i < it->queues; i++)
		waitq_remove(&it->entries[i]);
	u64 flags = sched_lock();
	if (list_linked(&it->ready_link))
		list_remove(&it->ready_link);
	sched_unlock(flags);
	list_remove(&it->link);
	list_remove(&it->file_link);
	kfree(it);
}

/* The last reference to a watched file is going: forget its interests. */
static void file_released(struct file *file)
{
	while (!list_empty(&file->epoll_links))
		item_free(list_entry(file->epoll_links.next, struct epitem, file_link));
}

static struct epitem *find(struct epoll *ep, struct file *file, int fd)
{
	for (struct list_node *l = ep->items.next; l != &ep->items; l = l->next) {
		struct epitem *it = list_entry(l, struct epitem, link);
		if (it->file == file && it->fd == fd)
			return it;
	}
	return NULL;
}

/* Does watching target from ep close a loop (or nest too deep)? */
static bool reaches(struct epoll *from, struct epoll *target, int depth)
{
	if (from == target || depth > NEST_MAX)
		return true;
	for (struct list_node *l = from->items.next; l != &from->items; l = l->next) {
		struct epitem *it = list_entry(l, struct epitem, link);
		if (epoll_is(it->file) && reaches(it->file->priv, target, depth + 1))
			return true;
	}
	return false;
}

static void set_mask(struct epitem *it, const struct linux_epoll_event *event)
{
	it->events = (event->events & EVENT_BITS) | ALWAYS;
	it->edge = event->events & EPOLLET;
	it->oneshot = event->events & EPOLLONESHOT;
	it->data = event->data;
}

static int add(struct epoll *ep, int fd, struct file *target,
               const struct linux_epoll_event *event)
{
	if (!target->ops || !target->ops->poll)
		return -EPERM; /* regular files and directories: always ready */
	if (find(ep, target, fd))
		return -EEXIST;
	if (epoll_is(target) && reaches(target->priv, ep, 1))
		return -ELOOP;
	struct epitem *it = kzalloc(sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->ep = ep;
	it->file = target;
	it->fd = fd;
	list_node_init(&it->ready_link);
	set_mask(it, event);
	it->pt.queue = item_queue;
	list_push_back(&ep->items, &it->link);
	list_push_back(&target->epoll_links, &it->file_link);
	if (vfs_poll(target, it->events, &it->pt) & it->events)
		mark_ready(it);
	return 0;
}

static int modify(struct epitem *it, const struct linux_epoll_event *event)
{
	u64 flags = sched_lock();
	set_mask(it, event);
	it->disabled = false;
	sched_unlock(flags);
	if (vfs_poll(it->file, it->events, NULL) & it->events)
		mark_ready(it);
	return 0;
}

int epoll_ctl(struct file *ep_file, int op, int fd, struct file *target,
              const struct linux_epoll_event *event)
{
	struct epoll *ep = ep_file->priv;
	if (target == ep_file)
		return -EINVAL;
	struct epitem *it = find(ep, target, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		return add(ep, fd, target, event);
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		if (event->events & EPOLLEXCLUSIVE)
			return -EINVAL;
		return modify(it, event);
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		item_free(it);
		return 0;
	default:
		return -EINVAL;
	}
}

/* Take the next ready interest off the list, or NULL. */
static struct epitem *pop_ready(struct epoll *ep)
{
	u64 flags = sched_lock();
	struct list_node *l = list_first(&ep->ready);
	if (l)
		list_remove(l);
	sched_unlock(flags);
	return l ? list_entry(l, struct epitem, ready_link) : NULL;
}

static u32 count_ready(struct epoll *ep)
{
	u64 flags = sched_lock();
	u32 n = 0;
	for (struct list_node *l = ep->ready.next; l != &ep->ready; l = l->next)
		n++;
	sched_unlock(flags);
	return n;
}

/* Report what the ready interests have now. Each is looked at once:
 * level-triggered ones that are still ready go to the back again. */
static long collect(struct epoll *ep, struct linux_epoll_event *out, u32 max)
{
	u32 pending = count_ready(ep);
	long n = 0;
	while (pending-- > 0 && (u32)n < max) {
		struct epitem *it = pop_ready(ep);
		if (!it)
			break;
		u32 revents = vfs_poll(it->file, it->events, NULL) & it->events;
		if (!revents || it->disabled)
			continue; /* a later wake-up puts it back */
		out[n].events = revents;
		out[n].data = it->data;
		n++;
		u64 flags = sched_lock();
		if (it->oneshot)
			it->disabled = true;
		else if (!it->edge && !list_linked(&it->ready_link))
			list_push_back(&ep->ready, &it->ready_link);
		sched_unlock(flags);
	}
	return n;
}

long epoll_wait(struct file *ep_file, struct linux_epoll_event *out, u32 max, u64 deadline_ns)
{
	struct epoll *ep = ep_file->priv;
	struct wait_entry e;
	wait_entry_init(&e);
	long n;
	for (;;) {
		wait_prepare(&ep->wait, &e);
		n = collect(ep, out, max);
		if (n > 0)
			break;
		int err = wait_sleep(deadline_ns, true);
		if (err == -ETIMEDOUT) {
			n = 0;
			break;
		}
		if (err) {
			n = err;
			break;
		}
	}
	wait_finish(&e);
	return n;
}

static u32 epoll_poll(struct file *file, u32 events, struct poll_table *pt)
{
	(void)events;
	struct epoll *ep = file->priv;
	poll_wait(pt, &ep->wait);
	/* A hint: an interest on the list may turn out not ready. */
	return count_ready(ep) ? EPOLLIN : 0;
}

static void epoll_close(struct file *file)
{
	struct epoll *ep = file->priv;
	while (!list_empty(&ep->items))
		item_free(list_entry(ep->items.next, struct epitem, link));
	kfree(ep);
}

static const struct file_ops g_epoll_ops = {
	.stream = true,
	.poll = epoll_poll,
	.close = epoll_close,
};

int epoll_create(u32 o_flags, struct file **out)
{
	struct epoll *ep = kzalloc(sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	waitq_init(&ep->wait);
	list_init(&ep->items);
	list_init(&ep->ready);
	*out = file_alloc(&g_epoll_ops, NULL, O_RDWR | (o_flags & O_NONBLOCK), ep);
	if (!*out) {
		kfree(ep);
		return -ENOMEM;
	}
	vfs_set_file_release_hook(file_released);
	return 0;
}
