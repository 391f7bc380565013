/*
 * syscall.c: SYSCALL/SYSRET setup and the C side of the syscall entry.
 * The number and arguments stay in the trapframe; syscalls/ decides.
 * SYSRET is used only when the frame is exactly what it can restore
 * (user_return.h: rcx == rip, r11 == rflags, user selectors, a rip below
 * the user limit); anything else, e.g. after rt_sigreturn, returns
 * through iretq, whose guard handles a rip beyond the limit.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/probe.h"
#include "arch/x86_64/user_return.h"
#include "mm/kpt.h"
#ifndef CVMIFY_CORE_ONLY
#include "proc/bkl.h"
#include "proc/cputime.h"
#include "proc/sched.h"
#endif

/* FMASK: clear IF, TF, DF, AC, NT and IOPL on entry. */
#define SYSCALL_FMASK 0x47700ULL
/* SYSRET loads CS = base + 16, SS = base + 8 (RPL 3): base 0x10 gives
 * SEL_UCODE 0x23 and SEL_UDATA 0x1b. SYSCALL loads CS 0x08, SS 0x10. */
#define STAR_VALUE ((0x10ULL << 48) | ((u64)SEL_KCODE << 32))

extern void syscall_entry(void);

void syscall_init(void)
{
    cpu_wrmsr(MSR_STAR, STAR_VALUE);
    cpu_wrmsr(MSR_LSTAR, (u64)(uptr)syscall_entry);
    cpu_wrmsr(MSR_FMASK, SYSCALL_FMASK);
}

static bool sysret_safe(const struct trapframe *tf)
{
    return user_return_after_syscall(tf) == USER_RETURN_SYSRET;
}

/* Called by syscall_entry.S; returns 1 to leave with sysretq. */
int syscall_entry_c(struct trapframe *tf);
int syscall_entry_c(struct trapframe *tf)
{
    if (probe_active()) {
        tf->rax = probe_syscall(tf);
        return sysret_safe(tf);
    }
#ifdef CVMIFY_CORE_ONLY
    tf->rax = (u64)-38; /* -ENOSYS: a core-only kernel runs no apps */
#else
    cputime_from_user();
    bkl_lock();
    tf->rax = (u64)syscall_dispatch(tf);
    sched_exit_to_user(tf); /* signals, preemption; drops the lock */
    cputime_to_user();
#endif
    return sysret_safe(tf);
}

void trapframe_init_user(struct trapframe *tf, u64 rip, u64 rsp)
{
    *tf = (struct trapframe){ 0 };
    tf->rip = rip;
    tf->rsp = rsp;
    tf->cs = SEL_UCODE;
    tf->ss = SEL_UDATA;
    tf->rflags = RFLAGS_USER_DEFAULT;
}

void arch_set_fs_base(u64 base)
{
    if (g_cpu.fsgsbase)
        cpu_wrfsbase(base);
    else
        cpu_wrmsr(MSR_FS_BASE, base);
}

u64 arch_get_fs_base(void)
{
    return g_cpu.fsgsbase ? cpu_rdfsbase() : cpu_rdmsr(MSR_FS_BASE);
}

/* In the kernel the user's GS base sits in KERNEL_GS_BASE (swapgs). */
void arch_set_user_gs_base(u64 base)
{
    cpu_wrmsr(MSR_KERNEL_GS_BASE, base);
}

u64 arch_get_user_gs_base(void)
{
    return cpu_rdmsr(MSR_KERNEL_GS_BASE);
}
