/*
 * signal.h: signal actions, masks, delivery and rt_sigreturn.
 *
 * Signals come from faults the task raised, from kill/tgkill/raise, and
 * from the kernel (SIGCHLD, SIGPIPE). A signal is delivered on the way
 * back to user mode (after a syscall or a fault) by rewriting the
 * trapframe to enter the handler on a Linux rt_sigframe (siginfo +
 * ucontext + FXSAVE area).
 */
#ifndef CVMIFY_PROC_SIGNAL_H
#define CVMIFY_PROC_SIGNAL_H

#include "lib/types.h"

struct trapframe;
struct task;

/* Called by the trap handlers for a fault raised in ring 3 (SIGSEGV from
 * #PF with code from vm_fault_code(), SIGILL from #UD, SIGFPE from #DE,
 * SIGBUS, SIGTRAP): enter the handler or end the task with the signal.
 * Returns to the trap code, which resumes user mode from *tf. */
void signal_deliver_fault(struct trapframe *tf, int signo, int code, u64 addr);

/* Mark signo pending for the task (kill, tgkill, raise, SIGCHLD,
 * SIGPIPE); a sleeping task is woken if the signal is not blocked. */
void signal_post(struct task *task, int signo, int code);

/* True when an unblocked signal is pending: interruptible sleeps
 * (wait4, pipes) then return -EINTR (or a partial count). */
bool signal_interrupts(const struct task *task);

/* Deliver the lowest pending, unblocked signal if any (end of each
 * syscall). tf is the frame that returns to user mode. */
void signal_deliver_pending(struct trapframe *tf);

/* Run with mask until the next signal delivery (rt_sigsuspend, ppoll,
 * pselect6): the handler's frame saves the task's real mask, which comes
 * back at its rt_sigreturn; if no handler runs, it comes back on the way
 * to user mode. */
void signal_set_temporary_mask(struct task *task, u64 mask);
/* The mask a signal frame records (the real one during a temporary). */
u64 signal_mask_to_save(const struct task *task);

/* rt_sigreturn: restore *tf from the sigframe at the user stack. */
long signal_sigreturn(struct trapframe *tf);

/* True when sp lies on the task's enabled alternate signal stack. */
bool signal_on_altstack(const struct task *task, u64 sp);

/* Reset actions on exec (handled → default; ignored stays ignored). */
void signal_reset_on_exec(struct task *task);

#endif
