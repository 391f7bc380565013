/*
 * user_return.c: the ring-3 return checks of user_return.h, and the
 * guard trap_return (trap_entry.S) calls before every iretq to ring 3.
 */
#include "arch/x86_64/user_return.h"

bool user_rip_ok(u64 addr)
{
    return addr < USER_RIP_LIMIT;
}

enum user_return user_return_via_iret(const struct trapframe *tf)
{
    return user_rip_ok(tf->rip) ? USER_RETURN_IRET : USER_RETURN_BAD_RIP;
}

enum user_return user_return_after_syscall(const struct trapframe *tf)
{
    if (!user_rip_ok(tf->rip))
        return USER_RETURN_BAD_RIP;
    if (tf->rcx == tf->rip && tf->r11 == tf->rflags && tf->cs == SEL_UCODE &&
        tf->ss == SEL_UDATA)
        return USER_RETURN_SYSRET;
    return USER_RETURN_IRET;
}

#ifndef CVMIFY_HOST_TEST
#include "arch/x86_64/arch.h"
#include "lib/kprintf.h"
#include "panic.h"
#ifndef CVMIFY_CORE_ONLY
#include "proc/bkl.h"
#endif

#include "syscalls/linux_abi/signal.h"

#define TRAP_GP 13

/*
 * Called by trap_return for a frame going to ring 3, after the big
 * kernel lock was dropped (sched_exit_to_user). A rip beyond the user
 * limit becomes what Linux makes of the #GP its iretq would raise:
 * SIGSEGV with SI_KERNEL at the bad rip, delivered under the lock.
 * Delivery puts a checked handler address in rip or ends the task, so
 * the second check cannot fail unless signal delivery is broken.
 */
void user_return_guard(struct trapframe *tf);
void user_return_guard(struct trapframe *tf)
{
    if (user_return_via_iret(tf) != USER_RETURN_BAD_RIP)
        return;
#ifdef CVMIFY_CORE_ONLY
    panic("return to user rip %lx beyond the user limit (core-only kernel)", tf->rip);
#else
    bkl_lock();
    kprintf("signal: return to rip 0x%lx refused: SIGSEGV\n", tf->rip);
    tf->trapno = TRAP_GP;
    tf->errcode = 0;
    signal_deliver_fault(tf, SIGSEGV, SI_KERNEL, 0);
    if (user_return_via_iret(tf) == USER_RETURN_BAD_RIP)
        panic("signal delivery left rip %lx beyond the user limit", tf->rip);
    bkl_unlock();
#endif
}
#endif
