/*
 * epoll.c: epoll_create/create1/ctl/wait/pwait/pwait2, eventfd/eventfd2,
 * timerfd_create/settime/gettime. The objects are in proc/epoll.c,
 * proc/eventfd.c and proc/timerfd.c; here are the argument checks.
 * Trust: fds, flags, counts, timeouts and the user structs are raw.
 */
#include "fs/vfs.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "platform/platform.h"
#include "proc/epoll.h"
#include "proc/eventfd.h"
#include "proc/fdtable.h"
#include "proc/task.h"
#include "proc/wait.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/time.h"

#define NS_PER_SEC 1000000000ull
#define NS_PER_MS 1000000ull
#define EPOLL_BATCH_MAX 1024        /* events returned by one epoll_wait at most */
#define EP_MAX_EVENTS (0x7fffffff / 12)
#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2

/* Install a new file at the lowest free fd; the fd owns it afterwards. */
static long install(struct file *file, bool cloexec)
{
	long fd = fd_install(current_task(), file, 0, cloexec);
	file_put(file);
	return fd;
}

/* ---- epoll ---- */

static long do_epoll_create(u32 flags)
{
	if (flags & ~(u32)O_CLOEXEC)
		return -EINVAL;
	struct file *file;
	int err = epoll_create(0, &file);
	return err ? err : install(file, flags & O_CLOEXEC);
}

long sys_epoll_create(const struct syscall_args *args)
{
	if (arg_int(args->a[0]) <= 0)
		return -EINVAL;
	return do_epoll_create(0);
}

long sys_epoll_create1(const struct syscall_args *args)
{
	return do_epoll_create((u32)args->a[0]);
}

/* The epoll file behind epfd: -EBADF, or -EINVAL if not an epoll. */
static int epoll_file(int epfd, struct file **out)
{
	int err = file_of(epfd, out);
	if (err)
		return err;
	return epoll_is(*out) ? 0 : -EINVAL;
}

long sys_epoll_ctl(const struct syscall_args *args)
{
	int op = arg_int(args->a[1]);
	int fd = arg_int(args->a[2]);
	struct file *ep, *target;
	int err = epoll_file(arg_int(args->a[0]), &ep);
	if (!err)
		err = file_of(fd, &target);
	if (err)
		return err;
	struct linux_epoll_event event = {0, 0};
	if (op != EPOLL_CTL_DEL && copyin(&event, args->a[3], sizeof(event)) != 0)
		return -EFAULT;
	return epoll_ctl(ep, op, fd, target, op == EPOLL_CTL_DEL ? NULL : &event);
}

static long do_epoll_wait(int epfd, u64 uevents, int max, u64 deadline)
{
	if (max <= 0 || max > EP_MAX_EVENTS)
		return -EINVAL;
	struct file *ep;
	int err = epoll_file(epfd, &ep);
	if (err)
		return err;
	u32 n = MIN((u32)max, (u32)EPOLL_BATCH_MAX);
	if (!user_range_ok(uevents, (u64)n * sizeof(struct linux_epoll_event)))
		return -EFAULT;
	struct linux_epoll_event *buf = kmalloc(n * sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	long got = epoll_wait(ep, buf, n, deadline);
	if (got > 0 && copyout(uevents, buf, (size_t)got * sizeof(*buf)) != 0)
		got = -EFAULT;
	kfree(buf);
	return got;
}

static u64 ms_deadline(int timeout_ms)
{
	return deadline_after(timeout_ms < 0 ? WAIT_FOREVER : (u64)timeout_ms * NS_PER_MS);
}

/* epoll_pwait(2): the caller's mask while waiting. */
static long wait_with_mask(int epfd, u64 uevents, int max, u64 deadline, u64 umask, u64 size)
{
	int err = sigmask_set_temporary(umask, size);
	if (err)
		return err;
	long ret = do_epoll_wait(epfd, uevents, max, deadline);
	sigmask_end_temporary(ret);
	return ret;
}

long sys_epoll_wait(const struct syscall_args *args)
{
	return do_epoll_wait(arg_int(args->a[0]), args->a[1], arg_int(args->a[2]),
	                     ms_deadline(arg_int(args->a[3])));
}

long sys_epoll_pwait(const struct syscall_args *args)
{
	return wait_with_mask(arg_int(args->a[0]), args->a[1], arg_int(args->a[2]),
	                      ms_deadline(arg_int(args->a[3])), args->a[4], args->a[5]);
}

long sys_epoll_pwait2(const struct syscall_args *args)
{
	u64 ns;
	int err = timespec_copyin_ns(args->a[3], &ns);
	if (err)
		return err;
	return wait_with_mask(arg_int(args->a[0]), args->a[1], arg_int(args->a[2]),
	                      deadline_after(ns), args->a[4], args->a[5]);
}

/* ---- eventfd ---- */

static long do_eventfd(u64 initval, u32 flags)
{
	if (flags & ~(u32)(O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE))
		return -EINVAL;
	struct file *file;
	int err = eventfd_create((u32)initval, flags & EFD_SEMAPHORE, flags, &file);
	return err ? err : install(file, flags & O_CLOEXEC);
}

long sys_eventfd(const struct syscall_args *args)
{
	return do_eventfd(args->a[0], 0);
}

long sys_eventfd2(const struct syscall_args *args)
{
	return do_eventfd(args->a[0], (u32)args->a[1]);
}

/* ---- timerfd ---- */

long sys_timerfd_create(const struct syscall_args *args)
{
	int clock = arg_int(args->a[0]);
	u32 flags = (u32)args->a[1];
	if (clock == CLOCK_REALTIME_ALARM || clock == CLOCK_BOOTTIME_ALARM)
		return -EPERM; /* needs CAP_WAKE_ALARM, which nobody has here */
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME)
		return -EINVAL;
	if (flags & ~(u32)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	struct file *file;
	int err = timerfd_create(clock, flags, &file);
	return err ? err : install(file, flags & O_CLOEXEC);
}

static int timerfd_file(int fd, struct file **out)
{
	int err = file_of(fd, out);
	if (err)
		return err;
	return timerfd_is(*out) ? 0 : -EINVAL;
}

long sys_timerfd_settime(const struct syscall_args *args)
{
	u32 flags = (u32)args->a[1];
	if (flags & ~(u32)(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	struct file *file;
	int err = timerfd_file(arg_int(args->a[0]), &file);
	if (err)
		return err;
	struct linux_itimerspec its;
	if (copyin(&its, args->a[2], sizeof(its)) != 0)
		return -EFAULT;
	struct timerfd_spec spec, old;
	if (timespec_to_ns(&its.it_value, &spec.value_ns) != 0 ||
	    timespec_to_ns(&its.it_interval, &spec.interval_ns) != 0)
		return -EINVAL;
	/* CANCEL_ON_SET: our realtime clock is never set, so never cancels. */
	timerfd_settime(file, flags & TFD_TIMER_ABSTIME, &spec, &old);
	if (args->a[3] && itimerspec_copyout(args->a[3], old.interval_ns, old.value_ns) != 0)
		return -EFAULT;
	return 0;
}

long sys_timerfd_gettime(const struct syscall_args *args)
{
	struct file *file;
	int err = timerfd_file(arg_int(args->a[0]), &file);
	if (err)
		return err;
	struct timerfd_spec spec;
	timerfd_gettime(file, &spec);
	return itimerspec_copyout(args->a[1], spec.interval_ns, spec.value_ns);
}
