/*
 * percpu.h: the per-CPU area, one per vCPU, reached through GS in the
 * kernel: this_cpu() is the one accessor. syscall_entry.S uses the
 * offsets below; keep them in sync.
 *
 * Ownership: each CPU writes only its own area, except the fields
 * marked "sched lock", which other CPUs read and write under the
 * scheduler lock (proc/sched.c), and "atomic" ones.
 */
#ifndef CVMIFY_ARCH_PERCPU_H
#define CVMIFY_ARCH_PERCPU_H

#define PERCPU_USER_RSP 0     /* scratch: user rsp during syscall entry */
#define PERCPU_KERNEL_STACK 8 /* top of the current task's kernel stack */
#define PERCPU_SELF 16        /* this area's own address */

/* Most vCPUs the kernel runs on (cpu masks are one u64). */
#define MAX_CPUS 64

#ifndef __ASSEMBLY__
#include "arch/x86_64/cpu.h"
#include "lib/types.h"

struct task;
struct tss;

struct percpu {
    u64 user_rsp;
    u64 kernel_stack;
    struct percpu *self;
    u32 index;                /* 0 = the boot CPU */
    u32 apic_id;
    struct tss *tss;          /* this CPU's TSS (gdt.c) */
    u64 *gdt;                 /* this CPU's GDT (gdt.c) */
    /* scheduler (proc/sched.c) */
    struct task *current;     /* never NULL once the CPU runs tasks */
    struct task *idle;        /* this CPU's idle task */
    struct task *prev;        /* the task switched away from last */
    bool need_resched;        /* switch at the next exit to user mode */
    bool idle_waiting;        /* sched lock: halted, wake with an IPI */
    bool kick_deferred;       /* sched lock: idle CPUs not yet told of tasks woken here */
    u64 slice_end_ns;         /* the running task's time slice ends */
    u64 timer_armed_ns;       /* deadline programmed into the local APIC */
    /* interrupts (arch/x86_64/irq.c) */
    u32 irq_depth;            /* > 0 while in an interrupt handler */
    u64 irq_count;            /* interrupts taken on this CPU */
    u64 ticks_early;          /* timer interrupts before their deadline */
    /* CPU time spent here by tasks (proc/cputime.c; others only read) */
    u64 user_ns;
    u64 sys_ns;
    /* kernel_fpu_begin/end (fpu.c) */
    int kernel_fpu_depth;
};

/* The area of the CPU we run on (GS base in the kernel). */
static inline struct percpu *this_cpu(void)
{
    return (struct percpu *)(uptr)cpu_gs_read_self();
}

/* False until the boot CPU's area is loaded (only it runs before). */
bool percpu_ready(void);

/* CPU by index (NULL past the last started one), and how many run. */
struct percpu *cpu_by_index(u32 index);
u32 cpu_count(void);
/* Mask with one bit per started CPU. */
u64 cpu_online_mask(void);

/* Boot CPU: make g_percpu0 the area and load GS (gdt.c calls this). */
void percpu_init_boot(void);
/* An AP's area, allocated and registered by the boot CPU before start. */
struct percpu *percpu_alloc_ap(u32 index);
/* Load GS for the calling CPU with area p (an AP's first step). */
void percpu_install(struct percpu *p);
/* Count p as started (the AP calls it once it is ready for tasks). */
void percpu_mark_online(struct percpu *p);
#endif

#endif
