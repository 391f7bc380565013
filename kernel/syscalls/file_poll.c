/*
 * file_poll.c: poll, ppoll, select, pselect6.
 *
 * Readiness comes from vfs_poll. The first pass registers the calling
 * task on every polled file's wait queues (proc/poll.h); with nothing
 * ready it sleeps until one of them wakes it, a signal arrives (EINTR)
 * or the timeout passes, then looks again. ppoll and pselect6 run with
 * the caller's temporary signal mask for the duration of the wait.
 * Trust: nfds, fd numbers, masks and the user arrays are raw and bounded
 * here.
 */
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "platform/platform.h"
#include "proc/fdtable.h"
#include "proc/poll.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/misc.h"
#include "syscalls/linux_abi/time.h"

#define NS_PER_SEC 1000000000ull
#define NS_PER_MS 1000000ull
#define SELECT_MAX_FDS 1024
/* Re-poll period when some queue could not be joined (out of memory). */
#define FALLBACK_POLL_NS (10 * NS_PER_MS)

/* One readiness pass over all the files of a poll or select call:
 * returns how many are ready (or a -errno the pass found). */
typedef long (*poll_pass_fn)(void *state, struct poll_table *pt);

/* Pass once registering, then sleep and pass again until something is
 * ready, the deadline or a signal. 0 at the deadline. */
static long poll_wait_loop(poll_pass_fn pass, void *state, u64 deadline)
{
	struct poll_set set;
	poll_set_init(&set);
	wait_prepare_self();
	long ready = pass(state, &set.pt);
	while (ready == 0) {
		u64 until = set.out_of_memory ? MIN(deadline, platform_time_ns() + FALLBACK_POLL_NS)
		                              : deadline;
		int err = wait_sleep(until, true);
		if (err == -EINTR) {
			ready = -ERESTARTNOHAND; /* EINTR once a handler runs */
			break;
		}
		if (err == -ETIMEDOUT && until == deadline)
			break;
		wait_prepare_self();
		ready = pass(state, NULL);
	}
	poll_set_finish(&set);
	return ready;
}

/* ---- poll ---- */

struct poll_state {
	struct linux_pollfd *fds;
	u64 nfds;
};

static long poll_pass(void *arg, struct poll_table *pt)
{
	struct poll_state *st = arg;
	long ready = 0;
	for (u64 i = 0; i < st->nfds; i++) {
		struct linux_pollfd *p = &st->fds[i];
		p->revents = 0;
		if (p->fd < 0)
			continue;
		struct file *f = fd_get(current_task(), p->fd);
		if (!f) {
			p->revents = POLLNVAL;
		} else {
			u32 want = (u16)p->events | POLLERR | POLLHUP;
			p->revents = (s16)(vfs_poll(f, want, pt) & want);
		}
		if (p->revents)
			ready++;
	}
	return ready;
}

static long do_poll(u64 ufds, u64 nfds, u64 deadline)
{
	if (nfds > (u64)fd_limit(current_task()))
		return -EINVAL;
	size_t size = nfds * sizeof(struct linux_pollfd);
	struct linux_pollfd *fds = kmalloc(size ? size : 1);
	if (!fds)
		return -ENOMEM;
	long ready = -EFAULT;
	if (copyin(fds, ufds, size) == 0) {
		struct poll_state st = {fds, nfds};
		ready = poll_wait_loop(poll_pass, &st, deadline);
		if (ready >= 0 && copyout(ufds, fds, size) != 0)
			ready = -EFAULT;
	}
	kfree(fds);
	return ready;
}

long sys_poll(const struct syscall_args *args)
{
	int timeout_ms = arg_int(args->a[2]);
	u64 ns = timeout_ms < 0 ? WAIT_FOREVER : (u64)timeout_ms * NS_PER_MS;
	return do_poll(args->a[0], args->a[1], deadline_after(ns));
}

/* ---- timeouts and temporary masks (ppoll, pselect6) ---- */

/* Linux writes the time left back into the caller's timeout. */
static void report_time_left(u64 uts, u64 deadline, bool timeval)
{
	if (!uts || deadline == WAIT_FOREVER)
		return;
	u64 now = platform_time_ns();
	u64 left = deadline > now ? deadline - now : 0;
	if (timeval) {
		struct linux_timeval tv = {(s64)(left / NS_PER_SEC), (s64)(left % NS_PER_SEC / 1000)};
		copyout(uts, &tv, sizeof(tv));
	} else {
		struct linux_timespec ts = ns_to_timespec(left);
		copyout(uts, &ts, sizeof(ts));
	}
}

long sys_ppoll(const struct syscall_args *args)
{
	u64 ns;
	int err = timespec_copyin_ns(args->a[2], &ns);
	if (err)
		return err;
	u64 deadline = deadline_after(ns);
	err = sigmask_set_temporary(args->a[3], args->a[4]);
	if (err)
		return err;
	long ret = do_poll(args->a[0], args->a[1], deadline);
	sigmask_end_temporary(ret);
	report_time_left(args->a[2], deadline, false);
	return ret;
}

/* ---- select: three bitmaps of nfds bits, 64 per word ---- */

struct select_state {
	int nfds;
	u64 in[3][SELECT_MAX_FDS / 64];
	u64 out[3][SELECT_MAX_FDS / 64];
};

static const u32 g_select_bits[3] = {
	VFS_POLLIN | VFS_POLLHUP | VFS_POLLERR, /* readfds */
	VFS_POLLOUT | VFS_POLLERR,              /* writefds */
	VFS_POLLPRI,                            /* exceptfds */
};

static long select_pass(void *arg, struct poll_table *pt)
{
	struct select_state *st = arg;
	long ready = 0;
	memset(st->out, 0, sizeof(st->out));
	for (int fd = 0; fd < st->nfds; fd++) {
		u64 bit = 1ull << (fd % 64);
		bool wanted = false;
		for (int k = 0; k < 3; k++)
			wanted |= (st->in[k][fd / 64] & bit) != 0;
		if (!wanted)
			continue;
		struct file *f = fd_get(current_task(), fd);
		if (!f)
			return -EBADF;
		u32 got = vfs_poll(f, g_select_bits[0] | g_select_bits[1] | g_select_bits[2], pt);
		for (int k = 0; k < 3; k++) {
			if ((st->in[k][fd / 64] & bit) && (got & g_select_bits[k])) {
				st->out[k][fd / 64] |= bit;
				ready++;
			}
		}
	}
	return ready;
}

static long do_select(int nfds, u64 uread, u64 uwrite, u64 uexcept, u64 deadline)
{
	if (nfds < 0 || nfds > SELECT_MAX_FDS)
		return -EINVAL;
	size_t words = ((size_t)nfds + 63) / 64;
	struct select_state *st = kzalloc(sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->nfds = nfds;
	u64 user[3] = {uread, uwrite, uexcept};
	long ready = 0;
	for (int k = 0; k < 3; k++) {
		if (user[k] && copyin(st->in[k], user[k], words * 8) != 0)
			ready = -EFAULT;
	}
	if (ready == 0)
		ready = poll_wait_loop(select_pass, st, deadline);
	for (int k = 0; k < 3 && ready >= 0; k++) {
		if (user[k] && copyout(user[k], st->out[k], words * 8) != 0)
			ready = -EFAULT;
	}
	kfree(st);
	return ready;
}

long sys_select(const struct syscall_args *args)
{
	u64 ns = WAIT_FOREVER;
	if (args->a[4]) {
		struct linux_timeval tv;
		if (copyin(&tv, args->a[4], sizeof(tv)) != 0)
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return -EINVAL;
		ns = (u64)tv.tv_sec >= WAIT_FOREVER / NS_PER_SEC - 1
		         ? WAIT_FOREVER - 1
		         : (u64)tv.tv_sec * NS_PER_SEC + (u64)tv.tv_usec * 1000;
	}
	u64 deadline = deadline_after(ns);
	long ret = do_select(arg_int(args->a[0]), args->a[1], args->a[2], args->a[3], deadline);
	report_time_left(args->a[4], deadline, true);
	return ret;
}

long sys_pselect6(const struct syscall_args *args)
{
	u64 ns;
	int err = timespec_copyin_ns(args->a[4], &ns);
	if (err)
		return err;
	u64 deadline = deadline_after(ns);
	/* a[5]: { const sigset_t *mask; size_t size; } or NULL */
	if (args->a[5]) {
		u64 pair[2];
		if (copyin(pair, args->a[5], sizeof(pair)) != 0)
			return -EFAULT;
		err = sigmask_set_temporary(pair[0], pair[1]);
		if (err)
			return err;
	}
	long ret = do_select(arg_int(args->a[0]), args->a[1], args->a[2], args->a[3], deadline);
	sigmask_end_temporary(ret);
	report_time_left(args->a[4], deadline, false);
	return ret;
}
