/*
 * kstack.h: kernel stacks for tasks, with a guard page.
 *
 * Each stack lives in its own slot of a kernel virtual region reserved
 * for stacks (KSTACK_REGION_BASE): the slot's lowest page is never
 * mapped (the guard), the KSTACK_PAGES above it are. A stack that
 * overflows runs into its guard and faults (the kernel panics naming a
 * task stack overflow) instead of silently overwriting its neighbour.
 * The physical pages keep their direct-map alias, which nothing uses.
 *
 * Ownership: kstack_alloc hands out one stack; kstack_free takes it back
 * (it must not be the stack we are running on).
 */
#ifndef CVMIFY_MM_KSTACK_H
#define CVMIFY_MM_KSTACK_H

#include "lib/types.h"

#define KSTACK_PAGES 4
#define KSTACK_SIZE (KSTACK_PAGES * PAGE_SIZE)
#define KSTACK_REGION_BASE 0xffffc00000000000ULL /* PML4 slot 384: nothing else */
#define KSTACK_SLOT_PAGES (KSTACK_PAGES + 1)     /* guard + stack */
#define KSTACK_SLOTS 4096

/* A zeroed stack: its lowest usable address (the guard page is right
 * below), or NULL when out of memory or slots. */
void *kstack_alloc(void);
/* Unmap and free a stack from kstack_alloc. */
void kstack_free(void *stack);

/* The initial stack pointer of a stack (one past its highest byte). */
static inline u64 kstack_top(const void *stack)
{
    return (u64)(uptr)stack + KSTACK_SIZE;
}

/* Does addr lie in the guard page of a stack slot? (#PF/#DF naming.) */
bool kstack_is_guard(u64 addr);

/* Stacks in use (for tests and the log). */
size_t kstack_count(void);

#endif
