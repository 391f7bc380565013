/*
 * file_poll.c: poll, ppoll, select, pselect6.
 *
 * Readiness comes from vfs_poll. With nothing ready the task yields to
 * the others and polls again until something is ready (console input,
 * a pipe) or the timeout passes: there is no interrupt to sleep on yet.
 * Trust: nfds, fd numbers and the user arrays are raw and bounded here.
 */
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "platform/platform.h"
#include "proc/fdtable.h"
#include "proc/sched.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/misc.h"
#include "syscalls/linux_abi/time.h"

#define NS_PER_SEC 1000000000ull
#define NS_PER_MS 1000000ull
#define FOREVER (~0ull)
#define SELECT_MAX_FDS 1024

static u64 deadline_after(u64 ns)
{
	if (ns == FOREVER)
		return FOREVER;
	u64 now = platform_time_ns();
	return ns > FOREVER - now ? FOREVER : now + ns;
}

/* One pass over the pollfds; returns how many have revents. */
static long poll_once(struct linux_pollfd *fds, u64 nfds)
{
	long ready = 0;
	for (u64 i = 0; i < nfds; i++) {
		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		struct file *f = fd_get(current_task(), fds[i].fd);
		if (!f) {
			fds[i].revents = POLLNVAL;
		} else {
			u32 want = (u16)fds[i].events | POLLERR | POLLHUP;
			fds[i].revents = (s16)(vfs_poll(f, want) & want);
		}
		if (fds[i].revents)
			ready++;
	}
	return ready;
}

static long do_poll(u64 ufds, u64 nfds, u64 timeout_ns)
{
	if (nfds > (u64)fd_limit(current_task()))
		return -EINVAL;
	size_t size = nfds * sizeof(struct linux_pollfd);
	struct linux_pollfd *fds = kmalloc(size ? size : 1);
	if (!fds)
		return -ENOMEM;
	long ready = -EFAULT;
	if (copyin(fds, ufds, size) == 0) {
		u64 deadline = deadline_after(timeout_ns);
		for (;;) {
			ready = poll_once(fds, nfds);
			if (ready != 0 || platform_time_ns() >= deadline)
				break;
			sched_yield();
		}
		if (copyout(ufds, fds, size) != 0)
			ready = -EFAULT;
	}
	kfree(fds);
	return ready;
}

long sys_poll(const struct syscall_args *args)
{
	int timeout_ms = arg_int(args->a[2]);
	u64 ns = timeout_ms < 0 ? FOREVER : (u64)timeout_ms * NS_PER_MS;
	return do_poll(args->a[0], args->a[1], ns);
}

static int timespec_ns(u64 uts, u64 *ns)
{
	if (!uts) {
		*ns = FOREVER;
		return 0;
	}
	struct linux_timespec ts;
	if (copyin(&ts, uts, sizeof(ts)) != 0)
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || (u64)ts.tv_nsec >= NS_PER_SEC)
		return -EINVAL;
	*ns = (u64)ts.tv_sec >= FOREVER / NS_PER_SEC ? FOREVER
	                                              : (u64)ts.tv_sec * NS_PER_SEC + (u64)ts.tv_nsec;
	return 0;
}

long sys_ppoll(const struct syscall_args *args)
{
	u64 ns;
	int err = timespec_ns(args->a[2], &ns);
	if (err)
		return err;
	/* The temporary signal mask only matters while blocked, and no
	 * signal can arrive while we spin (all delivery is synchronous). */
	return do_poll(args->a[0], args->a[1], ns);
}

/* select: three bitmaps of nfds bits, 64 per word. */
static long do_select(int nfds, u64 uread, u64 uwrite, u64 uexcept, u64 timeout_ns)
{
	if (nfds < 0 || nfds > SELECT_MAX_FDS)
		return -EINVAL;
	size_t words = ((size_t)nfds + 63) / 64;
	u64 in[3][SELECT_MAX_FDS / 64], out[3][SELECT_MAX_FDS / 64];
	u64 user[3] = {uread, uwrite, uexcept};
	memset(in, 0, sizeof(in));
	for (int k = 0; k < 3; k++) {
		if (user[k] && copyin(in[k], user[k], words * 8) != 0)
			return -EFAULT;
	}
	u32 bits[3] = {VFS_POLLIN | VFS_POLLHUP | VFS_POLLERR, VFS_POLLOUT | VFS_POLLERR, 0};
	u64 deadline = deadline_after(timeout_ns);
	long ready;
	do {
		ready = 0;
		memset(out, 0, sizeof(out));
		for (int fd = 0; fd < nfds; fd++) {
			u64 bit = 1ull << (fd % 64);
			bool wanted = false;
			for (int k = 0; k < 3; k++)
				wanted |= (in[k][fd / 64] & bit) != 0;
			if (!wanted)
				continue;
			struct file *f = fd_get(current_task(), fd);
			if (!f)
				return -EBADF;
			u32 got = vfs_poll(f, bits[0] | bits[1]);
			for (int k = 0; k < 3; k++) {
				if ((in[k][fd / 64] & bit) && (got & bits[k])) {
					out[k][fd / 64] |= bit;
					ready++;
				}
			}
		}
		if (ready == 0)
			sched_yield();
	} while (ready == 0 && platform_time_ns() < deadline);
	for (int k = 0; k < 3; k++) {
		if (user[k] && copyout(user[k], out[k], words * 8) != 0)
			return -EFAULT;
	}
	return ready;
}

long sys_select(const struct syscall_args *args)
{
	u64 ns = FOREVER;
	if (args->a[4]) {
		struct linux_timeval tv;
		if (copyin(&tv, args->a[4], sizeof(tv)) != 0)
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return -EINVAL;
		ns = (u64)tv.tv_sec * NS_PER_SEC + (u64)tv.tv_usec * 1000;
	}
	return do_select(arg_int(args->a[0]), args->a[1], args->a[2], args->a[3], ns);
}

long sys_pselect6(const struct syscall_args *args)
{
	u64 ns;
	int err = timespec_ns(args->a[4], &ns);
	if (err)
		return err;
	return do_select(arg_int(args->a[0]), args->a[1], args->a[2], args->a[3], ns);
}
