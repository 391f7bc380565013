/*
 * spinlock.c: ticket spinlocks (spinlock.h). Atomics are GCC builtins
 * (lock xadd / plain loads and stores with the x86 memory order).
 */
#include "arch/x86_64/spinlock.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trapframe.h"
#include "panic.h"
#include "platform/platform.h"

static s32 cpu_index_or_zero(void)
{
    /* Before gdt_init there is no per-CPU area: only the boot CPU runs. */
    return percpu_ready() ? (s32)this_cpu()->index : 0;
}

static u64 timeout_ticks(void)
{
    u64 hz = platform_tsc_hz();
    return hz ? hz * SPINLOCK_TIMEOUT_S : ~0ULL;
}

void spin_lock(struct spinlock *lock)
{
    s32 me = cpu_index_or_zero();
    if (__atomic_load_n(&lock->owner, __ATOMIC_RELAXED) == me)
        panic("spinlock %s: taken twice by cpu %d", lock->name, me);
    u32 ticket = __atomic_fetch_add(&lock->next, 1, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&lock->serving, __ATOMIC_ACQUIRE) != ticket) {
        u64 start = cpu_rdtsc();
        u64 limit = timeout_ticks();
        while (__atomic_load_n(&lock->serving, __ATOMIC_ACQUIRE) != ticket) {
            cpu_pause();
            if (cpu_rdtsc() - start > limit)
                panic("spinlock %s: cpu %d waited %d s (held by cpu %d)", lock->name, me,
                      SPINLOCK_TIMEOUT_S, lock->owner);
        }
    }
    __atomic_store_n(&lock->owner, me, __ATOMIC_RELAXED);
}

void spin_unlock(struct spinlock *lock)
{
    s32 me = cpu_index_or_zero();
    if (__atomic_load_n(&lock->owner, __ATOMIC_RELAXED) != me)
        panic("spinlock %s: released by cpu %d, held by cpu %d", lock->name, me, lock->owner);
    __atomic_store_n(&lock->owner, -1, __ATOMIC_RELAXED);
    __atomic_store_n(&lock->serving, lock->serving + 1, __ATOMIC_RELEASE);
}

u64 irq_save(void)
{
    u64 rflags = cpu_read_rflags();
    cpu_cli();
    return rflags;
}

void irq_restore(u64 rflags)
{
    if (rflags & RFLAGS_IF)
        cpu_sti();
}

u64 spin_lock_irqsave(struct spinlock *lock)
{
    u64 rflags = irq_save();
    spin_lock(lock);
    return rflags;
}

void spin_unlock_irqrestore(struct spinlock *lock, u64 rflags)
{
    spin_unlock(lock);
    irq_restore(rflags);
}

bool spin_held(const struct spinlock *lock)
{
    return __atomic_load_n(&lock->owner, __ATOMIC_RELAXED) == cpu_index_or_zero() &&
           lock->serving != lock->next;
}
