/* Time structures and clock ids of the Linux x86-64 ABI. */
#ifndef LINUX_ABI_TIME_H
#define LINUX_ABI_TIME_H

#include "lib/types.h"

struct linux_timespec {
	s64 tv_sec;
	s64 tv_nsec;
};

struct linux_timeval {
	s64 tv_sec;
	s64 tv_usec;
};

struct linux_timezone {
	s32 tz_minuteswest;
	s32 tz_dsttime;
};

struct linux_tms {
	s64 tms_utime;
	s64 tms_stime;
	s64 tms_cutime;
	s64 tms_cstime;
};

struct linux_rusage {
	struct linux_timeval ru_utime;
	struct linux_timeval ru_stime;
	s64 ru_maxrss;   /* KiB */
	s64 ru_ixrss, ru_idrss, ru_isrss; /* unused on Linux: 0 */
	s64 ru_minflt, ru_majflt;
	s64 ru_nswap, ru_inblock, ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals; /* 0 */
	s64 ru_nvcsw, ru_nivcsw;
};
_Static_assert(sizeof(struct linux_rusage) == 144, "struct rusage is 144 bytes");

struct linux_itimerspec {
	struct linux_timespec it_interval;
	struct linux_timespec it_value;
};

struct linux_itimerval {
	struct linux_timeval it_interval;
	struct linux_timeval it_value;
};

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7

#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9

#define TIMER_ABSTIME 1

#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1

#endif
