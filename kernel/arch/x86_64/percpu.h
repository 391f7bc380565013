/*
 * percpu.h: the per-CPU area reached through GS in the kernel (one CPU).
 * syscall_entry.S uses the offsets below; keep them in sync.
 */
#ifndef CVMIFY_ARCH_PERCPU_H
#define CVMIFY_ARCH_PERCPU_H

#define PERCPU_USER_RSP 0     /* scratch: user rsp during syscall entry */
#define PERCPU_KERNEL_STACK 8 /* top of the current task's kernel stack */

#ifndef __ASSEMBLY__
#include "lib/types.h"

struct percpu {
    u64 user_rsp;
    u64 kernel_stack;
};

extern struct percpu g_percpu;
#endif

#endif
