/*
 * trap.c: what happens on an exception or interrupt.
 *
 *   - from ring 3: #PF goes to the VM layer (demand paging); anything it
 *     cannot resolve, and every other exception, becomes a signal for the
 *     task (proc/signal.c), as Linux would send it;
 *   - from ring 0: always a kernel bug or a host attack on our state:
 *     panic with the vector, rip and cr2 (never a hang, never a triple
 *     fault: #DF runs on its own stack and panics too);
 *   - vectors >= 32: interrupts, to irq.c; on the way back to user mode
 *     the scheduler may preempt the task or deliver a signal.
 *
 * A trap from user mode takes the big kernel lock for its handling; an
 * interrupt takes none (proc/bkl.h).
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "platform/platform.h"
#include "lib/kprintf.h"
#include "panic.h"
#include "syscalls/linux_abi/signal.h"
#include "arch/x86_64/irq.h"
#ifndef CVMIFY_CORE_ONLY
#include "mm/fault.h"
#include "proc/bkl.h"
#include "proc/cputime.h"
#include "proc/sched.h"
#include "proc/signal.h"
#endif

#define ILL_ILLOPC 1
#define FPE_FLTINV 7
#define BUS_ADRALN 1

static const char *const g_exception_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
    "#MC machine check", "#XM SIMD error", "#VE virtualization",
    "#CP control protection", "reserved 22", "reserved 23", "reserved 24",
    "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
    "#VC VMM communication", "#SX security", "reserved 31",
};

const char *trap_name(u64 vector)
{
    return vector < 32 ? g_exception_names[vector] : "interrupt";
}

#ifndef CVMIFY_CORE_ONLY
/* The signal Linux sends for a user exception. */
static void user_exception_signal(u64 vector, int *signo, int *code)
{
    switch (vector) {
    case 0: *signo = SIGFPE; *code = FPE_INTDIV; return;
    case 1:
    case 3: *signo = SIGTRAP; *code = TRAP_BRKPT; return;
    case 6: *signo = SIGILL; *code = ILL_ILLOPN; return;
    case 16:
    case 19: *signo = SIGFPE; *code = FPE_FLTINV; return;
    case 17: *signo = SIGBUS; *code = BUS_ADRALN; return;
    default: *signo = SIGSEGV; *code = SI_KERNEL; return;
    }
}
#endif

static void user_trap(struct trapframe *tf)
{
#ifdef CVMIFY_CORE_ONLY
    /* Core-only builds run just the probe stub, which never faults. */
    panic("user %s rip=%lx cr2=%lx err=%lx (core-only kernel)", trap_name(tf->trapno),
          tf->rip, cpu_read_cr2(), tf->errcode);
#else
    if (tf->trapno == 14) {
        u64 addr = cpu_read_cr2();
        struct user_fault_signal sig;
        if (vm_handle_user_fault(addr, tf->errcode, &sig))
            return;
        signal_deliver_fault(tf, sig.signo, sig.code, addr);
        return;
    }
    int signo, code;
    user_exception_signal(tf->trapno, &signo, &code);
    /* Linux gives the faulting rip, except for a #GP-like SIGSEGV. */
    signal_deliver_fault(tf, signo, code, code == SI_KERNEL ? 0 : tf->rip);
#endif
}

void trap_handler(struct trapframe *tf)
{
    /* A user fault may arrive with RFLAGS.AC set by the app: close SMAP's
     * window before touching anything. */
    arch_clac();

    /* #VE in a TD: the platform emulates the instruction (platform/tdx/ve.c). */
    if (tf->trapno == TRAP_VE && platform_virt_exception(tf))
        return;
    if (tf->trapno >= 32) {
#ifndef CVMIFY_CORE_ONLY
        bool from_user = trapframe_from_user(tf);
        if (from_user)
            cputime_from_user();
#endif
        irq_dispatch(tf);
#ifndef CVMIFY_CORE_ONLY
        if (from_user) {
            sched_irq_exit_to_user(tf);
            cputime_to_user();
        }
#endif
        return;
    }
    if (trapframe_from_user(tf)) {
#ifndef CVMIFY_CORE_ONLY
        cputime_from_user();
        bkl_lock();
#endif
        user_trap(tf);
#ifndef CVMIFY_CORE_ONLY
        sched_exit_to_user(tf);
        cputime_to_user();
#endif
        return;
    }
    kernel_fault_panic(tf);
}
