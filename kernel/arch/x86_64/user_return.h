/*
 * user_return.h: the decision taken on every return to ring 3.
 *
 * SYSRET restores rip from rcx and rflags from r11 without checking
 * them; on Intel CPUs a non-canonical rcx makes SYSRET fault in ring 0.
 * IRETQ to a non-canonical rip faults in ring 0 as well (#GP on the
 * iretq itself, i.e. a kernel fault). So no rip at or above
 * USER_RIP_LIMIT ever reaches either instruction: such a frame gets a
 * SIGSEGV instead, as Linux gives (a #GP from user mode: SI_KERNEL,
 * si_addr 0). USER_RIP_LIMIT is Linux's TASK_SIZE_MAX: the last page
 * below 2^47 is never mapped, so the only way to get there is a bad
 * handler, restorer or sigreturn frame.
 *
 * Pure functions of the trapframe: tests/host/test_user_return.c checks
 * them on the host.
 */
#ifndef CVMIFY_ARCH_USER_RETURN_H
#define CVMIFY_ARCH_USER_RETURN_H

#include "arch/x86_64/trapframe.h"

#define USER_RIP_LIMIT 0x00007ffffffff000ULL

enum user_return {
    USER_RETURN_SYSRET,  /* rcx == rip, r11 == rflags, user selectors, rip ok */
    USER_RETURN_IRET,    /* anything else with a user rip */
    USER_RETURN_BAD_RIP, /* rip >= USER_RIP_LIMIT: deliver SIGSEGV first */
};

/* How a syscall's frame may leave the kernel (SYSRET allowed). */
enum user_return user_return_after_syscall(const struct trapframe *tf);

/* How any frame may leave through iretq (traps, signals, new tasks). */
enum user_return user_return_via_iret(const struct trapframe *tf);

/* True when addr may be a user rip (handlers, restorers, sigreturn). */
bool user_rip_ok(u64 addr);

#endif
