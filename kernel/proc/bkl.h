/*
 * bkl.h: the big kernel lock. Every CPU holds it while it runs kernel
 * code on behalf of a task (a syscall, a fault from user mode, deferred
 * work) and gives it up to run user code, to sleep (wait_sleep and
 * every switch release it and take it back) and to idle. User code thus
 * runs in parallel on all CPUs while the kernel's data structures are
 * touched by one CPU at a time (docs/kernel-locking.md).
 *
 * Interrupt handlers never take it, and the kernel runs with interrupts
 * off while holding it; a CPU waiting for it keeps interrupts on, so
 * IPIs (TLB shootdowns) reach it. Not recursive.
 */
#ifndef CVMIFY_PROC_BKL_H
#define CVMIFY_PROC_BKL_H

#include "lib/types.h"

void bkl_lock(void);
void bkl_unlock(void);
/* By the calling CPU. */
bool bkl_held(void);
/* How often a CPU found it taken (docs/benchmarks.md: contention). */
u64 bkl_contended_count(void);

#endif
