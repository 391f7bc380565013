/*
 * cputime.h: CPU-time accounting: user and system time per thread, per
 * process and for a process's reaped children, and the CPU-time interval
 * timers (ITIMER_VIRTUAL, ITIMER_PROF) and RLIMIT_CPU.
 *
 * Time is charged from the TSC clock (platform_time_ns) at the points
 * where a CPU changes what it does: entry from user mode (syscall, fault,
 * interrupt: the time since the last point was user time), the return to
 * user mode and a switch away from a task (system time). Idle time
 * belongs to nobody; each CPU also keeps its own user and system totals
 * for /proc/stat.
 *
 * Ownership: a thread's counters are written only by the CPU running it
 * (interrupts off) and read by others as single 64-bit loads; a
 * process's totals are atomic adds from any CPU; the children totals
 * belong to the big kernel lock; the CPU-time timers' settings to the
 * scheduler lock (their lock-free first look is only a hint). Another
 * thread's time shows once it next enters the kernel or switches (at
 * least every time slice: the slice timer interrupts a busy thread).
 */
#ifndef CVMIFY_PROC_CPUTIME_H
#define CVMIFY_PROC_CPUTIME_H

#include "lib/types.h"
#include "proc/work.h"

struct task;
struct thread_group;

struct cputime {
	u64 user_ns;
	u64 sys_ns;
};

/* In struct task. */
struct cputime_task {
	struct cputime used;
	u64 stamp_ns;          /* the last accounting point */
};

#define CPU_ITIMER_VIRTUAL 0   /* user time: SIGVTALRM */
#define CPU_ITIMER_PROF 1      /* user + system time: SIGPROF */
#define CPU_ITIMERS 2

struct cpu_itimer {
	u64 expires_ns;        /* sched lock: process time at which it fires; 0 = off */
	u64 interval_ns;       /* sched lock */
	struct kwork work;     /* sends the signal (big kernel lock) */
	struct thread_group *group;
};

/* In struct thread_group. */
struct cputime_group {
	struct cputime used;      /* atomic: every thread's time, exited ones too */
	struct cputime children;  /* big kernel lock: reaped children (and theirs) */
	struct cpu_itimer timers[CPU_ITIMERS];
	struct kwork limit_work;  /* RLIMIT_CPU reached: SIGXCPU or SIGKILL */
};

/* Accounting points; interrupts off, on the CPU concerned. */
void cputime_from_user(void);                        /* entered the kernel from user mode */
void cputime_to_user(void);                          /* about to return to user mode */
void cputime_switch_locked(struct task *prev, struct task *next); /* context_switch */
void cputime_start(struct task *task);               /* a CPU's first task */
/* A task's first entry to user mode (a new thread or process, the first
 * app): like cputime_to_user, but without the timer checks, so that it
 * may run under the scheduler lock. */
void cputime_first_user(void);

/* What is used so far, the caller's own pending time included. */
struct cputime cputime_thread(const struct task *task);
struct cputime cputime_process(const struct thread_group *group);
struct cputime cputime_children(const struct thread_group *group);
struct cputime cputime_sum(struct cputime a, struct cputime b);
/* One CPU's totals (/proc/stat), and its idle time: the time since
 * boot that no task used on it. */
struct cputime cputime_cpu(u32 cpu_index);
u64 cputime_cpu_idle(u32 cpu_index, u64 now);

/* wait4 reaped a child process: its time (with its own children's)
 * joins the parent's children totals. Big kernel lock. */
void cputime_reap(struct thread_group *parent, const struct thread_group *child);

/* A new thread group: its timers' work. */
void cputime_group_init(struct thread_group *group);

/* setitimer/getitimer(ITIMER_VIRTUAL or ITIMER_PROF): which is a
 * CPU_ITIMER_*; value 0 disarms; *old gets the previous setting (time
 * left, interval). Big kernel lock. */
void cputime_itimer_set(struct thread_group *group, int which, u64 value_ns, u64 interval_ns,
                        u64 *old_value_ns, u64 *old_interval_ns);
void cputime_itimer_get(struct thread_group *group, int which, u64 *value_ns, u64 *interval_ns);
/* The process ends: disarm both and drop a queued signal (the
 * RLIMIT_CPU check's too). */
void cputime_itimers_stop(struct thread_group *group);

#endif
