/*
 * timerfd.c: timer files (eventfd.h). Each is a kernel timer on the
 * monotonic clock (absolute realtime values are converted: our wall
 * clock never jumps); its callback counts expirations, re-arms a
 * periodic timer (counting the periods it was late by as expirations,
 * like Linux) and wakes readers. A read returns the count as 8 bytes and
 * zeroes it, sleeping while it is 0.
 *
 * The count and the timer belong to the scheduler lock (the callback
 * runs in interrupt context); everything else to the big kernel lock.
 */
#include "proc/eventfd.h"

#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "platform/platform.h"
#include "proc/poll.h"
#include "proc/sched_lock.h"
#include "proc/timer.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/time.h"

struct timerfd {
	int clock;
	struct ktimer timer;
	u64 interval_ns;
	u64 expirations;      /* scheduler lock */
	struct waitq wait;
};

static void timerfd_fired(struct ktimer *timer)
{
	struct timerfd *tfd = timer->arg;
	/* Periods missed while we were late count too. */
	tfd->expirations += timer_periodic_rearm_locked(timer, tfd->interval_ns);
	waitq_wake_locked(&tfd->wait, VFS_POLLIN);
}

/* Take the expirations (0 if none). */
static u64 take_expirations(struct timerfd *tfd)
{
	u64 flags = sched_lock();
	u64 n = tfd->expirations;
	tfd->expirations = 0;
	sched_unlock(flags);
	return n;
}

static u64 peek_expirations(struct timerfd *tfd)
{
	u64 flags = sched_lock();
	u64 n = tfd->expirations;
	sched_unlock(flags);
	return n;
}

static bool has_expired(void *arg)
{
	return peek_expirations(arg) > 0;
}

static long timerfd_read(struct file *file, void *buf, size_t size, u64 offset)
{
	(void)offset;
	struct timerfd *tfd = file->priv;
	if (size < sizeof(u64))
		return -EINVAL;
	u64 n;
	do {
		int err = wait_event(&tfd->wait, has_expired, tfd, file->flags & O_NONBLOCK);
		if (err)
			return err;
		n = take_expirations(tfd);
	} while (n == 0);
	memcpy(buf, &n, sizeof(n));
	return sizeof(n);
}

static u32 timerfd_poll(struct file *file, u32 events, struct poll_table *pt)
{
	(void)events;
	struct timerfd *tfd = file->priv;
	poll_wait(pt, &tfd->wait);
	return peek_expirations(tfd) ? VFS_POLLIN : 0;
}

static void timerfd_close(struct file *file)
{
	struct timerfd *tfd = file->priv;
	timer_cancel(&tfd->timer);
	kfree(tfd);
}

static const struct file_ops g_timerfd_ops = {
	.stream = true,
	.read = timerfd_read,
	.poll = timerfd_poll,
	.close = timerfd_close,
};

bool timerfd_is(const struct file *file)
{
	return file->ops == &g_timerfd_ops;
}

int timerfd_create(int clock, u32 o_flags, struct file **out)
{
	struct timerfd *tfd = kzalloc(sizeof(*tfd));
	if (!tfd)
		return -ENOMEM;
	tfd->clock = clock;
	timer_init(&tfd->timer, timerfd_fired, tfd);
	waitq_init(&tfd->wait);
	*out = file_alloc(&g_timerfd_ops, NULL, O_RDWR | (o_flags & O_NONBLOCK), tfd);
	if (!*out) {
		kfree(tfd);
		return -ENOMEM;
	}
	return 0;
}

/* Absolute time on the file's clock -> monotonic deadline. */
static u64 to_monotonic(int clock, u64 ns)
{
	if (clock != CLOCK_REALTIME)
		return ns;
	u64 offset = platform_wallclock_ns() - platform_time_ns();
	return ns > offset ? ns - offset : 0;
}

static void current_spec(struct timerfd *tfd, struct timerfd_spec *out)
{
	u64 now = platform_time_ns();
	out->interval_ns = tfd->interval_ns;
	out->value_ns = 0;
	if (timer_armed(&tfd->timer)) {
		u64 due = tfd->timer.node.deadline;
		out->value_ns = due > now ? due - now : 1; /* due: still armed */
	}
}

int timerfd_settime(struct file *file, bool absolute, const struct timerfd_spec *spec,
                    struct timerfd_spec *old)
{
	struct timerfd *tfd = file->priv;
	u64 flags = sched_lock();
	current_spec(tfd, old);
	timer_cancel_locked(&tfd->timer);
	tfd->expirations = 0;
	tfd->interval_ns = spec->interval_ns;
	if (spec->value_ns) {
		u64 now = platform_time_ns();
		u64 due = absolute ? to_monotonic(tfd->clock, spec->value_ns)
		                   : (spec->value_ns > ~0ULL - now ? ~0ULL : now + spec->value_ns);
		timer_arm_locked(&tfd->timer, due);
	}
	sched_unlock(flags);
	return 0;
}

void timerfd_gettime(struct file *file, struct timerfd_spec *out)
{
	struct timerfd *tfd = file->priv;
	u64 flags = sched_lock();
	current_spec(tfd, out);
	sched_unlock(flags);
}
