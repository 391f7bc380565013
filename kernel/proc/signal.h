/*
 * signal.h: signal actions, queues, masks, delivery and rt_sigreturn.
 *
 * Signals come from faults the task raised, from kill/tgkill/raise, from
 * timers and from the kernel (SIGCHLD, SIGPIPE). Sending queues them
 * (signal_queue.c: per thread, or per process for the first thread
 * that does not block them); a signal is delivered on the way back to
 * user mode (after a syscall, a fault or an interrupt) by rewriting the
 * trapframe to enter the handler on a Linux rt_sigframe (siginfo +
 * ucontext + FXSAVE area) (signal.c).
 */
#ifndef CVMIFY_PROC_SIGNAL_H
#define CVMIFY_PROC_SIGNAL_H

#include "lib/types.h"

struct trapframe;
struct task;
struct ksiginfo;
struct linux_siginfo;
struct linux_sigaction;

/* ---- sending (signal_queue.c) ---- */

/* To one thread (tgkill, tkill, SIGPIPE): wakes it or interrupts its CPU. */
void signal_send_thread(struct task *task, int signo, const struct ksiginfo *info);
/* To the process task belongs to (kill, SIGCHLD, timers). */
void signal_send_process(struct task *task, int signo, const struct ksiginfo *info);
/* To task's process, from the current task with code (SI_USER ...). */
void signal_post(struct task *task, int signo, int code);

/* exit_group, or a signal that ends the process: the whole thread
 * group goes (every other thread gets SIGKILL); status_word is the wait
 * status the parent will see. Once per group. */
void signal_group_exit(struct task *self, int status_word);

/* Pending for the thread or its process (bit n-1 = signal n). */
u64 signal_pending_set(const struct task *task);
/* True when an unblocked signal is pending: interruptible sleeps then
 * end with -EINTR (or a restart code). */
bool signal_interrupts(const struct task *task);
/* Take the lowest pending signal in mask (thread queue first); returns
 * it (0: none) and its info. */
int signal_dequeue(struct task *task, u64 mask, struct ksiginfo *out);
/* Wait until one of set is pending and take it (rt_sigtimedwait,
 * signalfd): the signal number, -EINTR (another signal's handler is
 * due), or -ETIMEDOUT at deadline_ns (WAIT_FOREVER: none). */
int signal_wait_for(struct task *task, u64 set, u64 deadline_ns, struct ksiginfo *out);
/* signo became ignored: drop its pending instances in the process. */
void signal_discard(struct task *task, int signo);
/* The siginfo user space sees for a queued signal. */
void signal_to_siginfo(int signo, const struct ksiginfo *k, struct linux_siginfo *out);
/* Default action: true = end the process, false = ignore. */
bool signal_default_kills(int signo);

/* Reset actions on exec (handled -> default; ignored stays ignored);
 * pending signals stay, as on Linux. */
void signal_reset_on_exec(struct task *task);

/* ---- delivery (signal.c) ---- */

/* Called by the trap handlers for a fault raised in ring 3 (SIGSEGV from
 * #PF with code from vm_fault_code(), SIGILL from #UD, SIGFPE from #DE,
 * SIGBUS, SIGTRAP): enter the handler or end the process with the
 * signal. Returns to the trap code, which resumes user mode from *tf. */
void signal_deliver_fault(struct trapframe *tf, int signo, int code, u64 addr);

/* Deliver the lowest pending, unblocked signal if any (on every way
 * back to user mode). tf is the frame that returns to user mode. */
void signal_deliver_pending(struct trapframe *tf);

/* An interrupted syscall's -ERESTART* result becomes -EINTR or a restart
 * of the syscall, as Linux decides it: act is the handler about to run
 * (NULL: none). Nothing for other frames. */
void signal_restart_syscall(struct task *task, struct trapframe *tf,
                            const struct linux_sigaction *act);

/* rt_sigreturn: restore *tf from the sigframe at the user stack. */
long signal_sigreturn(struct trapframe *tf);

/* True when sp lies on the task's enabled alternate signal stack. */
bool signal_on_altstack(const struct task *task, u64 sp);

/* Run with mask until the next signal delivery (rt_sigsuspend, ppoll,
 * pselect6): the handler's frame saves the task's real mask, which comes
 * back at its rt_sigreturn; if no handler runs, it comes back on the way
 * to user mode. */
void signal_set_temporary_mask(struct task *task, u64 mask);
/* The mask a signal frame records (the real one during a temporary). */
u64 signal_mask_to_save(const struct task *task);

#endif
