/*
 * itimer.c: alarm, setitimer and POSIX timers (itimer.h).
 *
 * Locks: the kernel timer and the overrun count belong to the scheduler
 * lock (the expiry callback runs in interrupt context); the rest to the
 * big kernel lock, under which the signal is sent (deferred work) and
 * timers are created and deleted, so a timer is never freed while its
 * work runs. Times are monotonic; an absolute CLOCK_REALTIME time is
 * converted once (our wall clock is boot time plus monotonic time).
 */
#include "proc/itimer.h"

#include "mm/kmalloc.h"
#include "platform/platform.h"
#include "proc/sched_lock.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "proc/timer.h"
#include "proc/work.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/signal.h"
#include "syscalls/linux_abi/time.h"

struct sig_timer {
	struct ktimer timer;          /* armed while counting down */
	u64 interval_ns;
	int clock;
	struct kwork work;            /* sends the signal */
	struct thread_group *group;
	int id;                       /* POSIX timer id; -1 for ITIMER_REAL */
	struct posix_timer_event ev;
	/* scheduler lock */
	bool queued;                  /* work queued, signal not sent yet */
	bool signal_pending;          /* POSIX: sent, not yet taken by a thread */
	u32 overrun_pending;          /* expirations since it was queued */
	/* big kernel lock */
	int last_overrun;             /* timer_getoverrun */
};

struct itimers {
	struct sig_timer *real;
	struct sig_timer *posix[POSIX_TIMERS_MAX];
};

/* ---- expiry ---- */

static void fired(struct ktimer *timer)
{
	struct sig_timer *st = timer->arg;
	u64 count = timer_periodic_rearm_locked(timer, st->interval_ns);
	if (st->ev.notify == SIGEV_NONE)
		return;
	if (st->queued || st->signal_pending) {
		/* Linux: an expiry while its signal waits is an overrun. */
		st->overrun_pending = (u32)MIN(st->overrun_pending + count, 0x7fffffffULL);
		return;
	}
	st->queued = true;
	st->overrun_pending = (u32)MIN(count - 1, 0x7fffffffULL);
	work_queue(&st->work);
}

static void send_signal(void *arg)
{
	struct sig_timer *st = arg;
	u64 flags = sched_lock();
	int overrun = (int)st->overrun_pending;
	st->queued = false;
	if (st->id >= 0)
		st->signal_pending = true; /* overruns count until it is taken */
	else
		st->overrun_pending = 0;
	sched_unlock(flags);
	struct thread_group *g = st->group;
	if (g->exiting || g->live == 0)
		return;
	struct ksiginfo info = {.code = SI_KERNEL};
	if (st->id >= 0) {
		info.code = SI_TIMER;
		info.timerid = st->id;
		info.overrun = overrun;
		info.value = st->ev.value;
	}
	if (st->ev.notify == SIGEV_THREAD_ID) {
		struct task *t = task_find_tid(st->ev.tid);
		if (t && t->group == g && !t->thread_exited) {
			signal_send_thread(t, st->ev.signo, &info);
			return;
		}
	}
	signal_send_process(g->leader, st->ev.signo, &info);
}

/* ---- creating and setting ---- */

static struct itimers *timers_of(struct thread_group *g)
{
	if (!g->timers)
		g->timers = kzalloc(sizeof(*g->timers));
	return g->timers;
}

static struct sig_timer *sig_timer_new(struct thread_group *g, int clock, int id,
                                       const struct posix_timer_event *ev)
{
	struct sig_timer *st = kzalloc(sizeof(*st));
	if (!st)
		return NULL;
	timer_init(&st->timer, fired, st);
	work_init(&st->work, send_signal, st);
	st->group = g;
	st->clock = clock;
	st->id = id;
	st->ev = *ev;
	return st;
}

static void sig_timer_free(struct sig_timer *st)
{
	timer_cancel(&st->timer); /* after this the callback neither runs nor will */
	work_cancel(&st->work);
	kfree(st);
}

/* What is left of st now (value relative to now). */
static void current_spec(struct sig_timer *st, struct itimer_spec *out)
{
	u64 flags = sched_lock();
	out->interval_ns = st->interval_ns;
	out->value_ns = 0;
	if (timer_armed(&st->timer)) {
		u64 now = platform_time_ns();
		u64 due = st->timer.node.deadline;
		out->value_ns = due > now ? due - now : 1;
	}
	sched_unlock(flags);
}

static u64 deadline_of(int clock, bool absolute, u64 value_ns)
{
	u64 now = platform_time_ns();
	if (!absolute)
		return value_ns > ~0ULL - now ? ~0ULL : now + value_ns;
	if (clock == CLOCK_REALTIME) {
		u64 offset = platform_wallclock_ns() - now;
		return value_ns > offset ? value_ns - offset : 0;
	}
	return value_ns;
}

static void set(struct sig_timer *st, bool absolute, const struct itimer_spec *spec,
                struct itimer_spec *old)
{
	if (old)
		current_spec(st, old);
	u64 flags = sched_lock();
	timer_cancel_locked(&st->timer);
	st->interval_ns = spec->interval_ns;
	if (spec->value_ns)
		timer_arm_locked(&st->timer, deadline_of(st->clock, absolute, spec->value_ns));
	sched_unlock(flags);
}

int itimer_real_set(struct task *task, const struct itimer_spec *spec, struct itimer_spec *old)
{
	struct itimers *its = timers_of(task->group);
	if (!its)
		return -ENOMEM;
	if (!its->real) {
		struct posix_timer_event ev = {.notify = SIGEV_SIGNAL, .signo = SIGALRM};
		its->real = sig_timer_new(task->group, CLOCK_REALTIME, -1, &ev);
		if (!its->real)
			return -ENOMEM;
	}
	set(its->real, false, spec, old);
	return 0;
}

void itimer_real_get(struct task *task, struct itimer_spec *out)
{
	struct itimers *its = task->group->timers;
	out->value_ns = out->interval_ns = 0;
	if (its && its->real)
		current_spec(its->real, out);
}

/* ---- POSIX timers ---- */

static struct sig_timer *posix_of(struct task *task, int id)
{
	struct itimers *its = task->group->timers;
	if (!its || id < 0 || id >= POSIX_TIMERS_MAX)
		return NULL;
	return its->posix[id];
}

int posix_timer_create(struct task *task, int clock, const struct posix_timer_event *ev)
{
	struct itimers *its = timers_of(task->group);
	if (!its)
		return -ENOMEM;
	for (int id = 0; id < POSIX_TIMERS_MAX; id++) {
		if (its->posix[id])
			continue;
		its->posix[id] = sig_timer_new(task->group, clock, id, ev);
		if (!its->posix[id])
			return -ENOMEM;
		if (ev->value_is_id)
			its->posix[id]->ev.value = (u64)id;
		return id;
	}
	return -EAGAIN;
}

int posix_timer_delete(struct task *task, int id)
{
	struct sig_timer *st = posix_of(task, id);
	if (!st)
		return -EINVAL;
	task->group->timers->posix[id] = NULL;
	sig_timer_free(st);
	return 0;
}

int posix_timer_settime(struct task *task, int id, bool absolute, const struct itimer_spec *spec,
                        struct itimer_spec *old)
{
	struct sig_timer *st = posix_of(task, id);
	if (!st)
		return -EINVAL;
	set(st, absolute, spec, old);
	return 0;
}

int posix_timer_gettime(struct task *task, int id, struct itimer_spec *out)
{
	struct sig_timer *st = posix_of(task, id);
	if (!st)
		return -EINVAL;
	current_spec(st, out);
	return 0;
}

int posix_timer_signal_taken(struct thread_group *group, int id)
{
	struct itimers *its = group->timers;
	if (!its || id < 0 || id >= POSIX_TIMERS_MAX || !its->posix[id])
		return 0;
	struct sig_timer *st = its->posix[id];
	u64 flags = sched_lock();
	int overrun = (int)st->overrun_pending;
	st->overrun_pending = 0;
	st->signal_pending = false;
	sched_unlock(flags);
	st->last_overrun = overrun;
	return overrun;
}

int posix_timer_getoverrun(struct task *task, int id)
{
	struct sig_timer *st = posix_of(task, id);
	return st ? st->last_overrun : -EINVAL;
}

void posix_timers_exec(struct thread_group *group)
{
	struct itimers *its = group->timers;
	if (!its)
		return;
	for (int id = 0; id < POSIX_TIMERS_MAX; id++) {
		if (its->posix[id]) {
			sig_timer_free(its->posix[id]);
			its->posix[id] = NULL;
		}
	}
}

void itimers_stop(struct thread_group *group)
{
	cputime_itimers_stop(group);
	struct itimers *its = group->timers;
	if (!its)
		return;
	if (its->real) {
		sig_timer_free(its->real);
		its->real = NULL;
	}
	for (int id = 0; id < POSIX_TIMERS_MAX; id++) {
		if (its->posix[id]) {
			sig_timer_free(its->posix[id]);
			its->posix[id] = NULL;
		}
	}
}

void itimers_free(struct thread_group *group)
{
	itimers_stop(group);
	if (group->timers)
		kfree(group->timers);
	group->timers = NULL;
}
