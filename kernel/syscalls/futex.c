/*
 * futex.c: futex(2) and futex_waitv. The queues are proc/futex.c; here
 * are the operations and their arguments: uaddr, op, val, timeout (or
 * val2 for the requeue and wake-op operations), uaddr2, val3.
 *
 * Timeouts: FUTEX_WAIT's is relative (on either clock: the same here); the BITSET
 * variant's absolute, on CLOCK_MONOTONIC or with FUTEX_CLOCK_REALTIME
 * on CLOCK_REALTIME. PI futexes are -ENOSYS (glibc uses them only for
 * priority-inheritance mutexes).
 */
#include "mm/uaccess.h"
#include "platform/platform.h"
#include "proc/futex.h"
#include "proc/wait.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/time.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

/* The deadline of a FUTEX_WAIT(_BITSET) timeout, as monotonic time. */
static int wait_deadline(u64 utimeout, bool absolute, bool realtime, u64 *deadline)
{
	u64 ns;
	int err = timespec_copyin_ns(utimeout, &ns);
	if (err || !utimeout || !absolute) {
		*deadline = err ? 0 : deadline_after(ns);
		return err;
	}
	if (realtime) {
		u64 now = platform_time_ns();
		u64 offset = platform_wallclock_ns() - now; /* the wall clock never jumps */
		ns = ns > offset ? ns - offset : 0;
	}
	*deadline = ns;
	return 0;
}

long sys_futex(const struct syscall_args *args)
{
	u64 uaddr = args->a[0];
	int op = arg_int(args->a[1]);
	u32 val = (u32)args->a[2];
	u64 utimeout = args->a[3];
	u64 uaddr2 = args->a[4];
	u32 val3 = (u32)args->a[5];
	bool private = op & FUTEX_PRIVATE_FLAG;
	bool realtime = op & FUTEX_CLOCK_REALTIME;
	int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT)
		return -ENOSYS; /* Linux: only for the waits */
	u64 deadline;
	int err;
	switch (cmd) {
	case FUTEX_WAIT:
		val3 = FUTEX_BITSET_MATCH_ANY;
		err = wait_deadline(utimeout, false, realtime, &deadline); /* always relative */
		return err ? err : futex_wait(uaddr, val, val3, deadline, private);
	case FUTEX_WAIT_BITSET:
		err = wait_deadline(utimeout, true, realtime, &deadline);
		return err ? err : futex_wait(uaddr, val, val3, deadline, private);
	case FUTEX_WAKE:
		return futex_wake(uaddr, (int)MIN(val, 0x7fffffffu), FUTEX_BITSET_MATCH_ANY, private);
	case FUTEX_WAKE_BITSET:
		return futex_wake(uaddr, (int)MIN(val, 0x7fffffffu), val3, private);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		/* The timeout argument is val2: how many to move. */
		return futex_requeue(uaddr, uaddr2, (int)MIN(val, 0x7fffffffu),
		                     (int)MIN((u32)utimeout, 0x7fffffffu), cmd == FUTEX_CMP_REQUEUE,
		                     val3, private);
	case FUTEX_WAKE_OP:
		return futex_wake_op(uaddr, uaddr2, (int)MIN(val, 0x7fffffffu),
		                     (int)MIN((u32)utimeout, 0x7fffffffu), val3, private);
	default:
		return -ENOSYS; /* PI futexes, FUTEX_FD, the requeue-PI pair */
	}
}
