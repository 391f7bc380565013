/*
 * spinlock.h: ticket spinlocks for short critical sections between CPUs.
 *
 * Fair (first come, first served) and not recursive: taking a lock this
 * CPU already holds panics, as does waiting for one longer than
 * SPINLOCK_TIMEOUT_S (a lost unlock is a kernel bug; better a clean
 * panic than a silent hang). A lock that an interrupt handler may take
 * must be taken with the _irqsave variant everywhere else, so that the
 * handler can never spin on a lock its own CPU holds. The kernel runs
 * with interrupts off anyway (docs/kernel-locking.md); _irqsave keeps
 * that true for callers who do not know.
 */
#ifndef CVMIFY_ARCH_SPINLOCK_H
#define CVMIFY_ARCH_SPINLOCK_H

#include "lib/types.h"

#define SPINLOCK_TIMEOUT_S 20

struct spinlock {
    u32 next;          /* next ticket to hand out */
    u32 serving;       /* ticket that holds the lock */
    s32 owner;         /* CPU index of the holder, -1 when free */
    const char *name;  /* for the panic message */
};

#define SPINLOCK_INIT(lock_name) { 0, 0, -1, lock_name }

void spin_lock(struct spinlock *lock);
void spin_unlock(struct spinlock *lock);
/* Disable interrupts, then lock; returns the old RFLAGS for unlock. */
u64 spin_lock_irqsave(struct spinlock *lock);
void spin_unlock_irqrestore(struct spinlock *lock, u64 rflags);
/* True when the calling CPU holds lock (for assertions). */
bool spin_held(const struct spinlock *lock);

/* Interrupt flag helpers for code that needs IF off without a lock. */
u64 irq_save(void);
void irq_restore(u64 rflags);

#endif
