/*
 * futex.h: fast user-space mutexes (futex(2)): sleeping on a 32-bit
 * word until someone wakes that word, plus what thread exit owes the
 * thread library (robust lists, the CLONE_CHILD_CLEARTID wake-up).
 *
 * The value check and the queueing are atomic with respect to wakers:
 * both run with the big kernel lock, which the waiter drops only once
 * it is queued and marked asleep. Private futexes (FUTEX_PRIVATE_FLAG)
 * and shared ones on private memory are keyed by (mm, address); shared
 * ones on MAP_SHARED memory by physical address, so they work between
 * processes (fork) as on Linux.
 */
#ifndef CVMIFY_PROC_FUTEX_H
#define CVMIFY_PROC_FUTEX_H

#include "lib/types.h"

struct task;

/* Sleep while *uaddr == val until woken (0), deadline_ns on the
 * monotonic clock (-ETIMEDOUT), a signal (-ERESTARTSYS without a
 * deadline, else -ERESTART_RESTARTBLOCK, as Linux); -EAGAIN if *uaddr
 * != val, -EFAULT, -EINVAL. */
int futex_wait(u64 uaddr, u32 val, u32 bitset, u64 deadline_ns, bool private);
/* Wake up to n waiters of uaddr whose bitset meets bitset; returns how
 * many (or -EFAULT, -EINVAL). */
int futex_wake(u64 uaddr, int n, u32 bitset, bool private);
/* FUTEX_REQUEUE / FUTEX_CMP_REQUEUE (cmp: first check *uaddr == val,
 * else -EAGAIN). */
int futex_requeue(u64 uaddr, u64 uaddr2, int nwake, int nrequeue, bool cmp, u32 val,
                  bool private);
/* FUTEX_WAKE_OP: atomically apply encoded_op to *uaddr2, wake nwake on
 * uaddr, and nwake2 on uaddr2 if the old value passes the comparison. */
int futex_wake_op(u64 uaddr, u64 uaddr2, int nwake, int nwake2, u32 encoded_op, bool private);

/* Thread exit: wake one waiter on the tid word (CLONE_CHILD_CLEARTID),
 * shared or private (pthread_join may use either). */
void futex_wake_address(struct task *task, u64 uaddr, int n);
/* Thread exit: mark the robust mutexes it still holds FUTEX_OWNER_DIED
 * and wake a waiter of each (set_robust_list). */
void futex_exit_robust_list(struct task *task);

#endif
