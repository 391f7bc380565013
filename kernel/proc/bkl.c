/*
 * bkl.c: the big kernel lock (bkl.h): a ticket lock whose waiters spin
 * with interrupts enabled, so that a CPU waiting for it still takes
 * IPIs and timer interrupts (their handlers never take it). It is
 * held with interrupts off.
 */
#include "proc/bkl.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/spinlock.h"
#include "panic.h"

static u32 g_next;
static u32 g_serving;
static s32 g_owner = -1;
static u64 g_contended;

void bkl_lock(void)
{
	u64 rflags = irq_save();
	s32 me = (s32)this_cpu()->index;
	if (__atomic_load_n(&g_owner, __ATOMIC_RELAXED) == me)
		panic("bkl: taken twice by cpu %d", me);
	u32 ticket = __atomic_fetch_add(&g_next, 1, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&g_serving, __ATOMIC_ACQUIRE) != ticket) {
		__atomic_add_fetch(&g_contended, 1, __ATOMIC_RELAXED);
		/* The whole wait with interrupts on, not a short window per
		 * try: QEMU's TCG only takes interrupts between translation
		 * blocks, and "sti; pause; cli" never leaves it one. An
		 * interrupt after the last check is harmless: our ticket
		 * holds the lock whatever the handler does. */
		cpu_sti();
		while (__atomic_load_n(&g_serving, __ATOMIC_ACQUIRE) != ticket)
			cpu_pause();
		cpu_cli();
	}
	__atomic_store_n(&g_owner, me, __ATOMIC_RELAXED);
	(void)rflags; /* held with interrupts off, whatever they were */
}

void bkl_unlock(void)
{
	ASSERT(bkl_held());
	__atomic_store_n(&g_owner, -1, __ATOMIC_RELAXED);
	__atomic_store_n(&g_serving, g_serving + 1, __ATOMIC_RELEASE);
}

bool bkl_held(void)
{
	return __atomic_load_n(&g_owner, __ATOMIC_RELAXED) == (s32)this_cpu()->index;
}

u64 bkl_contended_count(void)
{
	return __atomic_load_n(&g_contended, __ATOMIC_RELAXED);
}
