/*
 * time.c: clocks and sleeping.
 *
 * Time comes from platform_time_ns (monotonic, TSC) and
 * platform_wallclock_ns (the host's RTC at boot + monotonic): the wall
 * clock is host input and only ever shown to the app, never trusted by
 * the kernel. Sleeps are real: the task sleeps on a kernel timer
 * (proc/wait.h) until its deadline or a signal. Absolute deadlines on
 * the realtime clock become monotonic ones (the wall clock is boot time
 * plus monotonic time: it never jumps).
 */
#include "mm/uaccess.h"
#include "platform/platform.h"
#include "proc/itimer.h"
#include "proc/task.h"
#include "proc/wait.h"
#include "syscalls/common.h"
#include "syscalls/cputime.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/time.h"

#define NS_PER_SEC 1000000000ull

/* Nanoseconds on clock id, or -EINVAL. */
static int clock_now(int clock, u64 *ns)
{
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		*ns = platform_wallclock_ns();
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		*ns = platform_time_ns();
		return 0;
	default:
		if (clock_is_cpu(clock))
			return cpu_clock_now(clock, ns); /* syscalls/cputime.c */
		return -EINVAL;
	}
}


long sys_clock_gettime(const struct syscall_args *args)
{
	u64 ns;
	int err = clock_now(arg_int(args->a[0]), &ns);
	if (err)
		return err;
	struct linux_timespec ts = ns_to_timespec(ns);
	return copyout(args->a[1], &ts, sizeof(ts));
}

long sys_clock_getres(const struct syscall_args *args)
{
	u64 ns;
	int err = clock_now(arg_int(args->a[0]), &ns);
	if (err)
		return err;
	if (args->a[1] == 0)
		return 0;
	struct linux_timespec ts = {0, 1};
	return copyout(args->a[1], &ts, sizeof(ts));
}

long sys_gettimeofday(const struct syscall_args *args)
{
	if (args->a[0]) {
		u64 ns = platform_wallclock_ns();
		struct linux_timeval tv = {(s64)(ns / NS_PER_SEC), (s64)(ns % NS_PER_SEC / 1000)};
		if (copyout(args->a[0], &tv, sizeof(tv)) != 0)
			return -EFAULT;
	}
	if (args->a[1]) {
		struct linux_timezone tz = {0, 0};
		if (copyout(args->a[1], &tz, sizeof(tz)) != 0)
			return -EFAULT;
	}
	return 0;
}

long sys_time(const struct syscall_args *args)
{
	s64 now = (s64)(platform_wallclock_ns() / NS_PER_SEC);
	if (args->a[0] && copyout(args->a[0], &now, sizeof(now)) != 0)
		return -EFAULT;
	return now;
}


u64 clock_to_monotonic(int clock, u64 ns)
{
	if (clock != CLOCK_REALTIME && clock != CLOCK_REALTIME_COARSE)
		return ns;
	u64 mono = platform_time_ns();
	u64 offset = platform_wallclock_ns() - mono; /* constant: boot wall time */
	return ns > offset ? ns - offset : 0;
}

/* A relative sleep a signal handler interrupts reports what was left
 * (Linux does not restart nanosleep after a handler). */
static long interrupted_sleep(bool absolute, u64 left, u64 urem)
{
	if (!absolute && urem) {
		struct linux_timespec rem = ns_to_timespec(left);
		if (copyout(urem, &rem, sizeof(rem)) != 0)
			return -EFAULT;
	}
	return -ERESTART_RESTARTBLOCK; /* a handler runs: EINTR */
}

static long cpu_sleep(int clock, bool absolute, u64 req, u64 urem)
{
	u64 left = 0;
	int err = cpu_clock_sleep(clock, absolute, req, &left); /* syscalls/cputime.c */
	return err == -EINTR ? interrupted_sleep(absolute, left, urem) : err;
}

static long do_sleep(int clock, bool absolute, u64 ureq, u64 urem)
{
	u64 req, now;
	int err = clock_now(clock, &now);
	if (err)
		return err;
	err = timespec_copyin_ns(ureq, &req);
	if (err)
		return err;
	if (clock_is_cpu(clock))
		return cpu_sleep(clock, absolute, req, urem);
	u64 deadline = absolute ? req : (req > WAIT_FOREVER - 1 - now ? WAIT_FOREVER : now + req);
	u64 mono_deadline = deadline == WAIT_FOREVER ? WAIT_FOREVER : clock_to_monotonic(clock, deadline);
	err = wait_until(mono_deadline, true);
	if (err != -EINTR)
		return 0;
	u64 left_now;
	clock_now(clock, &left_now);
	return interrupted_sleep(absolute, deadline > left_now ? deadline - left_now : 0, urem);
}

long sys_nanosleep(const struct syscall_args *args)
{
	return do_sleep(CLOCK_MONOTONIC, false, args->a[0], args->a[1]);
}

long sys_clock_nanosleep(const struct syscall_args *args)
{
	int flags = arg_int(args->a[1]);
	if (flags & ~TIMER_ABSTIME)
		return -EINVAL;
	return do_sleep(arg_int(args->a[0]), flags & TIMER_ABSTIME, args->a[2], args->a[3]);
}

/* ---- alarm, setitimer, POSIX timers (proc/itimer.c) ---- */

#define ITIMER_REAL 0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2
#define NS_PER_US 1000ull

static u64 timeval_ns(const struct linux_timeval *tv)
{
	if ((u64)tv->tv_sec >= ~0ull / NS_PER_SEC - 1)
		return ~0ull - 1;
	return (u64)tv->tv_sec * NS_PER_SEC + (u64)tv->tv_usec * NS_PER_US;
}

static struct linux_timeval ns_to_timeval(u64 ns)
{
	struct linux_timeval tv = {(s64)(ns / NS_PER_SEC), (s64)(ns % NS_PER_SEC / NS_PER_US)};
	/* A timer that is still armed never reads as 0 (Linux rounds up). */
	if (ns && tv.tv_sec == 0 && tv.tv_usec == 0)
		tv.tv_usec = 1;
	return tv;
}

long sys_alarm(const struct syscall_args *args)
{
	u32 seconds = (u32)args->a[0];
	struct itimer_spec spec = {(u64)seconds * NS_PER_SEC, 0}, old;
	int err = itimer_real_set(current_task(), &spec, &old);
	if (err)
		return err;
	/* The seconds left of the previous alarm, rounded to the nearest,
	 * but never 0 for one that is still pending (as Linux). */
	long left = (long)((old.value_ns + NS_PER_SEC / 2) / NS_PER_SEC);
	return old.value_ns && left == 0 ? 1 : left;
}

static int put_itimerval(u64 uaddr, const struct itimer_spec *spec)
{
	struct linux_itimerval v = {ns_to_timeval(spec->interval_ns), ns_to_timeval(spec->value_ns)};
	return copyout(uaddr, &v, sizeof(v));
}

/* ITIMER_VIRTUAL and ITIMER_PROF count CPU time (proc/cputime.h). */
static int cpu_itimer_of(int which)
{
	return which == ITIMER_VIRTUAL ? CPU_ITIMER_VIRTUAL : CPU_ITIMER_PROF;
}

long sys_getitimer(const struct syscall_args *args)
{
	int which = arg_int(args->a[0]);
	if (which != ITIMER_REAL && which != ITIMER_VIRTUAL && which != ITIMER_PROF)
		return -EINVAL;
	struct itimer_spec spec;
	if (which == ITIMER_REAL)
		itimer_real_get(current_task(), &spec);
	else
		cputime_itimer_get(current_task()->group, cpu_itimer_of(which), &spec.value_ns,
		                   &spec.interval_ns);
	return put_itimerval(args->a[1], &spec);
}

long sys_setitimer(const struct syscall_args *args)
{
	int which = arg_int(args->a[0]);
	if (which != ITIMER_REAL && which != ITIMER_VIRTUAL && which != ITIMER_PROF)
		return -EINVAL;
	struct itimer_spec spec = {0, 0}, old;
	if (args->a[1]) {
		struct linux_itimerval v;
		if (copyin(&v, args->a[1], sizeof(v)) != 0)
			return -EFAULT;
		if (v.it_value.tv_sec < 0 || v.it_value.tv_usec < 0 || v.it_value.tv_usec >= 1000000 ||
		    v.it_interval.tv_sec < 0 || v.it_interval.tv_usec < 0 ||
		    v.it_interval.tv_usec >= 1000000)
			return -EINVAL;
		spec.value_ns = timeval_ns(&v.it_value);
		spec.interval_ns = timeval_ns(&v.it_interval);
	}
	if (which == ITIMER_REAL) {
		int err = itimer_real_set(current_task(), &spec, &old);
		if (err)
			return err;
	} else {
		cputime_itimer_set(current_task()->group, cpu_itimer_of(which), spec.value_ns,
		                   spec.interval_ns, &old.value_ns, &old.interval_ns);
	}
	return args->a[2] ? put_itimerval(args->a[2], &old) : 0;
}

/* struct sigevent (64 bytes): sigval, signo, notify, then the tid. */
struct linux_sigevent {
	u64 value;
	s32 signo;
	s32 notify;
	s32 tid;
	u8 pad[44];
};
_Static_assert(sizeof(struct linux_sigevent) == 64, "sigevent layout");

long sys_timer_create(const struct syscall_args *args)
{
	int clock = arg_int(args->a[0]);
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME)
		return -EINVAL; /* CPU-time and alarm clocks: not kept */
	struct task *task = current_task();
	struct posix_timer_event ev = {.notify = SIGEV_SIGNAL, .signo = SIGALRM, .value_is_id = true};
	if (args->a[1]) {
		struct linux_sigevent se;
		if (copyin(&se, args->a[1], sizeof(se)) != 0)
			return -EFAULT;
		ev.notify = se.notify;
		ev.signo = se.signo;
		ev.tid = se.tid;
		ev.value = se.value;
		ev.value_is_id = false;
		if (ev.notify != SIGEV_SIGNAL && ev.notify != SIGEV_NONE &&
		    ev.notify != SIGEV_THREAD_ID)
			return -EINVAL; /* SIGEV_THREAD is the C library's */
		if (ev.notify != SIGEV_NONE && (ev.signo < 1 || ev.signo > NSIG))
			return -EINVAL;
		if (ev.notify == SIGEV_THREAD_ID) {
			struct task *t = task_find_tid(ev.tid);
			if (!t || t->group != task->group || t->thread_exited)
				return -EINVAL;
		}
	}
	int id = posix_timer_create(task, clock, &ev);
	if (id < 0)
		return id;
	s32 uid = id;
	if (copyout(args->a[2], &uid, sizeof(uid)) != 0) {
		posix_timer_delete(task, id);
		return -EFAULT;
	}
	return 0;
}


long sys_timer_settime(const struct syscall_args *args)
{
	int id = arg_int(args->a[0]);
	int flags = arg_int(args->a[1]);
	if (flags & ~TIMER_ABSTIME)
		return -EINVAL;
	struct linux_itimerspec its;
	if (copyin(&its, args->a[2], sizeof(its)) != 0)
		return -EFAULT;
	struct itimer_spec spec, old;
	if (timespec_to_ns(&its.it_value, &spec.value_ns) != 0 ||
	    timespec_to_ns(&its.it_interval, &spec.interval_ns) != 0)
		return -EINVAL;
	int err = posix_timer_settime(current_task(), id, flags & TIMER_ABSTIME, &spec, &old);
	if (err)
		return err;
	return args->a[3] ? itimerspec_copyout(args->a[3], old.interval_ns, old.value_ns) : 0;
}

long sys_timer_gettime(const struct syscall_args *args)
{
	struct itimer_spec spec;
	int err = posix_timer_gettime(current_task(), arg_int(args->a[0]), &spec);
	return err ? err : itimerspec_copyout(args->a[1], spec.interval_ns, spec.value_ns);
}

long sys_timer_getoverrun(const struct syscall_args *args)
{
	return posix_timer_getoverrun(current_task(), arg_int(args->a[0]));
}

long sys_timer_delete(const struct syscall_args *args)
{
	return posix_timer_delete(current_task(), arg_int(args->a[0]));
}
