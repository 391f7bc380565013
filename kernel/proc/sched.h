/*
 * sched.h: the scheduler: which task runs on which CPU, and when.
 *
 * Policy (docs/kernel-locking.md has the locks): one global run queue,
 * first in first out, of tasks that are runnable and on no CPU; each
 * task may be limited to some CPUs (sched_setaffinity). A CPU takes the
 * first task allowed on it. A task runs until it sleeps (wait.h),
 * yields, exits, or its time slice of SCHED_SLICE_NS ends while another
 * task waits for this CPU: the timer interrupt then preempts it on its
 * way back to user mode (the kernel itself is never preempted). A woken
 * task goes to the tail of the queue, and an idle CPU that may run it
 * is sent a reschedule IPI, except when the waker has been going to
 * sleep right after its wake-ups (a futex ping-pong, create then join,
 * a lock hand-over, an exiting thread waking its joiner): then the
 * woken task waits for the waker's CPU, which takes it when the waker
 * sleeps (SCHED_WAKE_DEFER_EXITS). A CPU with nothing to run halts (HLT
 * with interrupts on) until an interrupt. Each switch charges the task
 * switched away from its system time (proc/cputime.h); the slice timer
 * also interrupts a task that runs alone, so its CPU time and CPU-time
 * timers never lag more than a slice.
 */
#ifndef CVMIFY_PROC_SCHED_H
#define CVMIFY_PROC_SCHED_H

#include "lib/types.h"

struct task;
struct trapframe;

#define SCHED_SLICE_NS (10ULL * 1000 * 1000)
/* Threads that hand work to each other wake the other side and go to
 * sleep themselves a moment later. Running the woken task on the
 * waker's CPU then needs no IPI and no halted vCPU for the host to wake
 * (under TCG or on a busy host that takes from tens of microseconds to
 * milliseconds each time). A waker counts as one that sleeps right
 * after waking once it did so SCHED_WAKE_AFFINE_SCORE times in a row,
 * "right after" meaning before it returned to user mode more than
 * SCHED_WAKE_DEFER_EXITS times (the return from the waking call, a
 * sigprocmask, ...) and before an interrupt came while it ran there.
 * Counting returns, not time, keeps the rule stable when the host
 * preempts the vCPU. When the waker keeps running instead, the idle
 * CPUs are told at that moment (at the latest at its next timer
 * interrupt: one time slice), and its count starts again. */
#define SCHED_WAKE_DEFER_EXITS 4
#define SCHED_WAKE_AFFINE_SCORE 2
#define SCHED_WAKE_AFFINE_MAX 3
#define SCHED_NO_WAKE 0xff /* task.exits_since_wake: no wake-up to learn from */

/* Boot CPU, once: the scheduler's interrupts (timer, IPIs) and this
 * CPU's idle task. */
void sched_init(void);
/* The boot CPU makes each CPU's idle task (an AP's runs on the stack
 * the AP starts on; the boot CPU's gets a fresh one: its boot stack is
 * left behind); NULL when out of memory. Each CPU then installs its own
 * with sched_init_cpu. */
struct task *sched_alloc_idle(void *ap_stack);
void sched_init_cpu(struct task *idle);
/* An AP's last boot step: run tasks forever. */
void sched_run_idle(void) __attribute__((noreturn));

/* Give up the CPU if another task may run here (sched_yield). */
void sched_yield(void);
/* Switch away for good (an exited task; it is freed later). */
void sched_exit(void) __attribute__((noreturn));

/* Make a sleeping task runnable (signals, wait queue wake-ups). Any
 * context. */
void sched_wake(struct task *task);

/* task is exiting: the tasks it wakes from now on (its joiner, its
 * parent) wait for its CPU, which it leaves for good in a moment. */
void sched_exiting(struct task *task);

/* A signal is pending for task: wake it if it sleeps; if it runs on
 * another CPU, interrupt that CPU so it delivers the signal before it
 * goes on in user mode. */
void sched_kick(struct task *task);

/* Pin task to the CPUs in mask (bit n = CPU n, only online ones
 * count); -EINVAL if none of them is online. Takes effect at its next
 * switch. */
int sched_set_affinity(struct task *task, u64 mask);

/* The kernel is about to return to user mode on this CPU (syscall,
 * trap or interrupt): run deferred work, switch if the time slice is
 * over, deliver a pending signal. Called with the big kernel lock,
 * releases it. */
void sched_exit_to_user(struct trapframe *tf);
/* From an interrupt that arrived in user mode: the same, but only takes
 * the big kernel lock when there is something to do. */
void sched_irq_exit_to_user(struct trapframe *tf);

/* Interrupt handlers (arch/x86_64/irq.c). */
void sched_timer_interrupt(void);
void sched_resched_ipi(void);

/* A new task's first run starts here (fork.c): finish the switch that
 * led to it, then go to user mode with tf. */
void sched_first_run(struct trapframe *tf) __attribute__((noreturn));

/* The first task becomes this CPU's current task (proc_start_init). */
void sched_start_first(struct task *task);
/* Return once task has left its CPU for good (before freeing it). */
void sched_wait_off_cpu(struct task *task);

/* Counters for the log and tests. */
u64 sched_switch_count(void);
/* One log line of them when the app ends (benchmarks read it). */
void sched_log_stats(void);

#endif
