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
#include "proc/wait.h"
#include "proc/task.h"
#include "syscalls/common.h"
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
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		/* The task has had the CPU since it started. */
		*ns = platform_time_ns() - current_task()->start_ns;
		return 0;
	default:
		return -EINVAL;
	}
}

static struct linux_timespec ns_to_timespec(u64 ns)
{
	struct linux_timespec ts = {(s64)(ns / NS_PER_SEC), (s64)(ns % NS_PER_SEC)};
	return ts;
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

static int read_timespec(u64 uaddr, u64 *ns)
{
	struct linux_timespec ts;
	if (copyin(&ts, uaddr, sizeof(ts)) != 0)
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || (u64)ts.tv_nsec >= NS_PER_SEC)
		return -EINVAL;
	if ((u64)ts.tv_sec > (~0ull - NS_PER_SEC) / NS_PER_SEC)
		*ns = ~0ull; /* forever, for all practical purposes */
	else
		*ns = (u64)ts.tv_sec * NS_PER_SEC + (u64)ts.tv_nsec;
	return 0;
}

u64 clock_to_monotonic(int clock, u64 ns)
{
	if (clock != CLOCK_REALTIME && clock != CLOCK_REALTIME_COARSE)
		return ns;
	u64 mono = platform_time_ns();
	u64 offset = platform_wallclock_ns() - mono; /* constant: boot wall time */
	return ns > offset ? ns - offset : 0;
}

static long do_sleep(int clock, bool absolute, u64 ureq, u64 urem)
{
	u64 req, now;
	int err = clock_now(clock, &now);
	if (err)
		return err;
	if (clock == CLOCK_PROCESS_CPUTIME_ID || clock == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL; /* Linux: not for clock_nanosleep on a thread clock */
	err = read_timespec(ureq, &req);
	if (err)
		return err;
	u64 deadline = absolute ? req : (req > ~0ull - now ? ~0ull : now + req);
	u64 mono_deadline = deadline == ~0ull ? WAIT_FOREVER : clock_to_monotonic(clock, deadline);
	err = wait_until(mono_deadline, true);
	if (err != -EINTR)
		return 0;
	/* Interrupted by a signal handler: a relative sleep reports what
	 * was left (Linux does not restart nanosleep after a handler). */
	if (!absolute && urem) {
		u64 left_now;
		clock_now(clock, &left_now);
		u64 left = deadline > left_now ? deadline - left_now : 0;
		struct linux_timespec rem = ns_to_timespec(left);
		if (copyout(urem, &rem, sizeof(rem)) != 0)
			return -EFAULT;
	}
	return -EINTR;
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
