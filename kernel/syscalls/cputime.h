/*
 * cputime.h (syscalls): CPU time in the Linux ABI's shapes, shared by
 * getrusage/times/clock_gettime (syscalls/cputime.c) and wait4.
 */
#ifndef CVMIFY_SYSCALLS_CPUTIME_H
#define CVMIFY_SYSCALLS_CPUTIME_H

#include "proc/cputime.h"
#include "proc/rusage.h"
#include "syscalls/linux_abi/time.h"

/* An rusage with c's user and system time, the fault and switch counts
 * of n and the peak resident set (the fields Linux leaves 0 stay 0). */
void rusage_fill(struct linux_rusage *ru, struct cputime c, struct rusage_counts n,
                 u64 maxrss_pages);

/* Is clock a CPU-time clock: CLOCK_PROCESS_CPUTIME_ID,
 * CLOCK_THREAD_CPUTIME_ID or one that clock_getcpuclockid /
 * pthread_getcpuclockid made (Linux's encoding, negative)? */
bool clock_is_cpu(int clock);
/* Its value in ns; -EINVAL for a bad encoding, a thread of another
 * process or a task that does not exist. */
int cpu_clock_now(int clock, u64 *ns);
/* clock_nanosleep on a CPU-time clock until it reads req_ns (absolute)
 * or has advanced by req_ns: 0, -EOPNOTSUPP (CLOCK_THREAD_CPUTIME_ID),
 * -EINVAL (the caller's own thread clock,
 * as Linux: it cannot advance while the thread sleeps; a clock whose
 * task went away) or -EINTR with *left_ns what was still to go. */
int cpu_clock_sleep(int clock, bool absolute, u64 req_ns, u64 *left_ns);

#endif
