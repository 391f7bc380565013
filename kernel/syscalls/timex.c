/*
 * timex.c: adjtimex and clock_adjtime, the NTP interface to the kernel
 * clock.
 *
 * Reading the clock's discipline state is allowed to anyone; changing
 * it needs CAP_SYS_TIME, which a container does not have: EPERM, as
 * under docker. The clock is never disciplined here (the wall clock is
 * the host's RTC at boot plus the monotonic clock, syscalls/time.c), so
 * the state read back is that of a clock nobody synchronises: status
 * STA_UNSYNC, the maximum error Linux starts with, and the return value
 * TIME_ERROR, exactly what Linux reports before ntpd or chrony runs.
 */
#include "mm/uaccess.h"
#include "platform/platform.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/time.h"

/* struct timex of the x86-64 ABI (include/uapi/linux/timex.h). */
struct linux_timex {
	u32 modes;
	s64 offset;
	s64 freq;
	s64 maxerror;
	s64 esterror;
	s32 status;
	s64 constant;
	s64 precision;
	s64 tolerance;
	struct linux_timeval time;
	s64 tick;
	s64 ppsfreq;
	s64 jitter;
	s32 shift;
	s64 stabil;
	s64 jitcnt;
	s64 calcnt;
	s64 errcnt;
	s64 stbcnt;
	s32 tai;
	s32 reserved[11];
};
_Static_assert(sizeof(struct linux_timex) == 208, "struct timex is 208 bytes");

#define ADJ_OFFSET_SINGLESHOT 0x0001u
#define ADJ_OFFSET_READONLY 0x2000u
#define ADJ_ADJTIME 0x8000u /* adjtime()'s mode: a read with READONLY */
#define CLOCK_TAI 11
#define STA_UNSYNC 0x0040
#define TIME_ERROR 5
#define NTP_PHASE_LIMIT 16000000     /* us: the error bound of an unsynced clock */
#define NTP_TOLERANCE (500 << 16)    /* 500 ppm, scaled by 2^16 */
#define USER_TICK_US 10000           /* 1/USER_HZ (100) in microseconds */

static long timex_read(u64 ubuf)
{
	struct linux_timex tx;
	if (copyin(&tx, ubuf, sizeof(tx)) != 0)
		return -EFAULT;
	if ((tx.modes & ADJ_ADJTIME) && !(tx.modes & ADJ_OFFSET_SINGLESHOT))
		return -EINVAL;
	bool read_only = tx.modes == 0 ||
	                 ((tx.modes & ADJ_ADJTIME) && (tx.modes & ADJ_OFFSET_READONLY));
	if (!read_only)
		return -EPERM; /* CAP_SYS_TIME: outside the bounding set */
	u64 now = platform_wallclock_ns();
	struct linux_timex out = {
		.maxerror = NTP_PHASE_LIMIT,
		.esterror = NTP_PHASE_LIMIT,
		.status = STA_UNSYNC,
		.constant = 2,
		.precision = 1,
		.tolerance = NTP_TOLERANCE,
		.time = {(s64)(now / 1000000000ull), (s64)(now % 1000000000ull / 1000)},
		.tick = USER_TICK_US,
	};
	if (copyout(ubuf, &out, sizeof(out)) != 0)
		return -EFAULT;
	return TIME_ERROR;
}

long sys_adjtimex(const struct syscall_args *args)
{
	return timex_read(args->a[0]);
}

/* clock_adjtime(clock, buf): the realtime clock is adjtimex's; the
 * other clocks cannot be adjusted (EOPNOTSUPP), unknown ids EINVAL. */
long sys_clock_adjtime(const struct syscall_args *args)
{
	int clock = arg_int(args->a[0]);
	if (clock == CLOCK_REALTIME)
		return timex_read(args->a[1]);
	if (clock < 0 || clock > CLOCK_TAI || clock == 10) /* 10: never allocated */
		return -EINVAL;
	return -EOPNOTSUPP;
}
