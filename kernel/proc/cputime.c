/*
 * cputime.c: CPU-time accounting and the CPU-time interval timers
 * (cputime.h).
 *
 * A task's stamp is the last accounting point. The time since then was
 * user time if the task now enters the kernel from user mode, system
 * time if it now returns to user mode or switches away (it is in the
 * kernel then). A task switched in starts a new interval; the idle task
 * is never charged. Each charge goes to the thread, its process (atomic
 * adds: its threads run on several CPUs) and the CPU.
 *
 * ITIMER_VIRTUAL and ITIMER_PROF are an expiry on the process's user
 * (resp. user + system) total. After each charge a lock-free look says
 * whether one is due; only then is the scheduler lock taken to re-check
 * and re-arm it (Linux's rule: expires += interval, or off), and deferred
 * work sends the signal under the big kernel lock. A busy thread is
 * charged at least once per time slice (the slice timer interrupts it),
 * so a timer fires at most a slice late; a sleeping process is charged
 * nothing and its timers never fire.
 *
 * RLIMIT_CPU works the same way on the user + system total, with
 * Linux's rule: past the soft limit SIGXCPU, and the soft limit moves a
 * second on (so one SIGXCPU a second) while it is below the hard one;
 * past the hard limit SIGKILL. The limit is read from the running
 * thread (setrlimit keeps every thread's copy equal).
 */
#include "proc/cputime.h"

#include "arch/x86_64/percpu.h"
#include "platform/platform.h"
#include "proc/sched_lock.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "syscalls/linux_abi/misc.h"
#include "syscalls/linux_abi/signal.h"

#define NS_PER_SEC 1000000000ull

static u64 load(const u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Only the owner writes: a plain add, stored whole for the readers. */
static void owner_add(u64 *p, u64 d)
{
	__atomic_store_n(p, *p + d, __ATOMIC_RELAXED);
}

/* The time since task's last accounting point, which becomes now. The
 * TSCs of two CPUs may differ a little after a migration: never < 0. */
static u64 take_interval(struct task *task, u64 now)
{
	u64 stamp = task->cputime.stamp_ns;
	task->cputime.stamp_ns = now;
	return now > stamp ? now - stamp : 0;
}

static void charge(struct task *task, u64 d, bool user)
{
	struct percpu *cpu = this_cpu();
	struct cputime_group *g = &task->group->cputime;
	if (user) {
		owner_add(&task->cputime.used.user_ns, d);
		owner_add(&cpu->user_ns, d);
		__atomic_add_fetch(&g->used.user_ns, d, __ATOMIC_RELAXED);
	} else {
		owner_add(&task->cputime.used.sys_ns, d);
		owner_add(&cpu->sys_ns, d);
		__atomic_add_fetch(&g->used.sys_ns, d, __ATOMIC_RELAXED);
	}
}

/* ---- the interval timers ---- */

static struct cputime group_used(const struct thread_group *group)
{
	struct cputime c = {load(&group->cputime.used.user_ns), load(&group->cputime.used.sys_ns)};
	return c;
}

static u64 timer_clock(const struct cputime *used, int which)
{
	return which == CPU_ITIMER_VIRTUAL ? used->user_ns : used->user_ns + used->sys_ns;
}

static bool any_due(const struct thread_group *group)
{
	struct cputime used = group_used(group);
	for (int which = 0; which < CPU_ITIMERS; which++) {
		u64 expires = load(&group->cputime.timers[which].expires_ns);
		if (expires && timer_clock(&used, which) >= expires)
			return true;
	}
	return false;
}

static void fire_due_locked(struct thread_group *group)
{
	struct cputime used = group_used(group);
	for (int which = 0; which < CPU_ITIMERS; which++) {
		struct cpu_itimer *it = &group->cputime.timers[which];
		if (!it->expires_ns || timer_clock(&used, which) < it->expires_ns)
			continue;
		u64 next = 0;
		if (it->interval_ns)
			next = it->interval_ns > ~0ULL - it->expires_ns ? ~0ULL : it->expires_ns + it->interval_ns;
		__atomic_store_n(&it->expires_ns, next, __ATOMIC_RELAXED);
		work_queue(&it->work); /* a signal already on its way absorbs this one */
	}
}

static void check_timers(struct thread_group *group)
{
	if (!any_due(group))
		return;
	u64 flags = sched_lock();
	fire_due_locked(group);
	sched_unlock(flags);
}

static void send_signal(void *arg)
{
	struct cpu_itimer *it = arg;
	struct thread_group *g = it->group;
	if (g->exiting || g->live == 0)
		return;
	int signo = it == &g->cputime.timers[CPU_ITIMER_VIRTUAL] ? SIGVTALRM : SIGPROF;
	struct ksiginfo info = {.code = SI_KERNEL};
	signal_send_process(g->leader, signo, &info);
}

/* ---- RLIMIT_CPU ---- */

static void check_limit(struct task *task)
{
	u64 soft = load(&task->rlimits[RLIMIT_CPU].rlim_cur);
	if (soft == RLIM_INFINITY)
		return;
	struct cputime used = group_used(task->group);
	if ((used.user_ns + used.sys_ns) / NS_PER_SEC >= soft)
		work_queue(&task->group->cputime.limit_work);
}

static struct task *live_thread(struct thread_group *g)
{
	for (struct list_node *l = g->threads.next; l != &g->threads; l = l->next) {
		struct task *t = list_entry(l, struct task, group_link);
		if (!t->thread_exited)
			return t;
	}
	return NULL;
}

static void enforce_limit(void *arg)
{
	struct thread_group *g = arg;
	struct task *t = live_thread(g);
	if (g->exiting || !t)
		return;
	struct cputime used = group_used(g);
	u64 secs = (used.user_ns + used.sys_ns) / NS_PER_SEC;
	struct linux_rlimit rl = t->rlimits[RLIMIT_CPU];
	struct ksiginfo info = {.code = SI_KERNEL};
	if (rl.rlim_max != RLIM_INFINITY && secs >= rl.rlim_max) {
		signal_send_process(g->leader, SIGKILL, &info);
		return;
	}
	if (rl.rlim_cur == RLIM_INFINITY || secs < rl.rlim_cur || rl.rlim_cur >= rl.rlim_max)
		return;
	signal_send_process(g->leader, SIGXCPU, &info);
	for (struct list_node *l = g->threads.next; l != &g->threads; l = l->next)
		list_entry(l, struct task, group_link)->rlimits[RLIMIT_CPU].rlim_cur = rl.rlim_cur + 1;
}

/* ---- accounting points ---- */

void cputime_from_user(void)
{
	struct task *task = this_cpu()->current;
	charge(task, take_interval(task, platform_time_ns()), true);
	check_timers(task->group);
	check_limit(task);
}

void cputime_to_user(void)
{
	struct task *task = this_cpu()->current;
	charge(task, take_interval(task, platform_time_ns()), false);
	check_timers(task->group);
	check_limit(task);
}

void cputime_first_user(void)
{
	struct task *task = this_cpu()->current;
	charge(task, take_interval(task, platform_time_ns()), false);
}

void cputime_switch_locked(struct task *prev, struct task *next)
{
	u64 now = platform_time_ns();
	if (!prev->is_idle) {
		charge(prev, take_interval(prev, now), false);
		if (any_due(prev->group))
			fire_due_locked(prev->group);
	}
	next->cputime.stamp_ns = now;
}

void cputime_start(struct task *task)
{
	task->cputime.stamp_ns = platform_time_ns();
}

/* ---- readers ---- */

/* The caller's own time since its last accounting point: it is in the
 * kernel, so system time. */
static u64 own_pending(void)
{
	struct task *self = current_task();
	u64 now = platform_time_ns();
	return now > self->cputime.stamp_ns ? now - self->cputime.stamp_ns : 0;
}

struct cputime cputime_thread(const struct task *task)
{
	struct cputime c = {load(&task->cputime.used.user_ns), load(&task->cputime.used.sys_ns)};
	if (task == current_task())
		c.sys_ns += own_pending();
	return c;
}

struct cputime cputime_process(const struct thread_group *group)
{
	struct cputime c = group_used(group);
	if (current_task()->group == group)
		c.sys_ns += own_pending();
	return c;
}

struct cputime cputime_children(const struct thread_group *group)
{
	return group->cputime.children;
}

struct cputime cputime_cpu(u32 cpu_index)
{
	struct cputime c = {0, 0};
	struct percpu *cpu = cpu_by_index(cpu_index);
	if (cpu) {
		c.user_ns = load(&cpu->user_ns);
		c.sys_ns = load(&cpu->sys_ns);
	}
	return c;
}

struct cputime cputime_sum(struct cputime a, struct cputime b)
{
	struct cputime c = {a.user_ns + b.user_ns, a.sys_ns + b.sys_ns};
	return c;
}

u64 cputime_cpu_idle(u32 cpu_index, u64 now)
{
	struct cputime c = cputime_cpu(cpu_index);
	return now > c.user_ns + c.sys_ns ? now - c.user_ns - c.sys_ns : 0;
}

void cputime_reap(struct thread_group *parent, const struct thread_group *child)
{
	struct cputime both = cputime_sum(group_used(child), child->cputime.children);
	parent->cputime.children = cputime_sum(parent->cputime.children, both);
}

/* ---- setting the timers ---- */

void cputime_group_init(struct thread_group *group)
{
	for (int which = 0; which < CPU_ITIMERS; which++) {
		struct cpu_itimer *it = &group->cputime.timers[which];
		it->group = group;
		work_init(&it->work, send_signal, it);
	}
	work_init(&group->cputime.limit_work, enforce_limit, group);
}

static void current_setting_locked(struct thread_group *group, int which, u64 *value_ns,
                                   u64 *interval_ns)
{
	struct cpu_itimer *it = &group->cputime.timers[which];
	struct cputime used = group_used(group);
	u64 clock = timer_clock(&used, which);
	*value_ns = 0;
	if (it->expires_ns)
		*value_ns = it->expires_ns > clock ? it->expires_ns - clock : 1; /* armed: never 0 */
	*interval_ns = it->interval_ns;
}

void cputime_itimer_set(struct thread_group *group, int which, u64 value_ns, u64 interval_ns,
                        u64 *old_value_ns, u64 *old_interval_ns)
{
	struct cpu_itimer *it = &group->cputime.timers[which];
	u64 flags = sched_lock();
	current_setting_locked(group, which, old_value_ns, old_interval_ns);
	struct cputime used = group_used(group);
	u64 clock = timer_clock(&used, which);
	it->interval_ns = interval_ns;
	u64 expires = 0;
	if (value_ns)
		expires = value_ns > ~0ULL - clock ? ~0ULL : clock + value_ns;
	__atomic_store_n(&it->expires_ns, expires, __ATOMIC_RELAXED);
	sched_unlock(flags);
}

void cputime_itimer_get(struct thread_group *group, int which, u64 *value_ns, u64 *interval_ns)
{
	u64 flags = sched_lock();
	current_setting_locked(group, which, value_ns, interval_ns);
	sched_unlock(flags);
}

void cputime_itimers_stop(struct thread_group *group)
{
	u64 flags = sched_lock();
	for (int which = 0; which < CPU_ITIMERS; which++)
		__atomic_store_n(&group->cputime.timers[which].expires_ns, 0, __ATOMIC_RELAXED);
	sched_unlock(flags);
	for (int which = 0; which < CPU_ITIMERS; which++)
		work_cancel(&group->cputime.timers[which].work);
	work_cancel(&group->cputime.limit_work);
}
