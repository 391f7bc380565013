/*
 * tlb.h: keeping every CPU's TLB in step with the page tables.
 *
 * Each address space records which CPUs have it loaded (mm->cpu_mask,
 * kept by tlb_switch_mm). Whoever removes a mapping or takes a
 * permission away (munmap, mprotect, madvise, a copy-on-write fork,
 * mremap) changes the page-table entries first and then calls
 * tlb_flush_range(mm, start, end): it flushes this CPU and sends a
 * shootdown IPI to every other CPU in mm's mask, and returns only when
 * all of them have flushed. Only then may a page that was mapped there
 * be freed or reused: tlb_batch does that bookkeeping for loops that
 * unmap and free many pages.
 *
 * Kernel mappings (kernel stacks, mm/kstack.c) are shared by every
 * address space: tlb_flush_kernel_range flushes all CPUs.
 *
 * Callers hold the big kernel lock (one shootdown at a time); the
 * waiting CPU keeps interrupts off, the others take the IPI wherever
 * they are (user mode, idle, or spinning for the big kernel lock).
 */
#ifndef CVMIFY_MM_TLB_H
#define CVMIFY_MM_TLB_H

#include "lib/types.h"

struct mm;

/* The scheduler's switch: load next's page tables (the kernel-only
 * root when next is NULL) unless they are loaded already. */
void tlb_switch_mm(struct mm *prev, struct mm *next);

void tlb_flush_range(struct mm *mm, u64 start, u64 end);
void tlb_flush_kernel_range(u64 start, u64 end);

/* The shootdown IPI's handler (arch/x86_64/irq.c). */
void tlb_flush_ipi(void);

/* Unmap-then-free in batches: add each page as its PTE is cleared;
 * the pages are freed after one flush of the covered range. */
#define TLB_BATCH_PAGES 64
struct tlb_batch {
	struct mm *mm;            /* NULL: kernel mappings */
	u64 start, end;           /* range covered so far */
	u32 count;
	void *pages[TLB_BATCH_PAGES];
};
void tlb_batch_init(struct tlb_batch *batch, struct mm *mm);
/* va's entry was just cleared; drop its reference on page (direct-map
 * address, NULL for none) once every CPU has forgotten va. */
void tlb_batch_add(struct tlb_batch *batch, u64 va, void *page);
/* Flush what is pending and free its pages. */
void tlb_batch_finish(struct tlb_batch *batch);

/* Shootdowns sent (docs/benchmarks.md). */
u64 tlb_shootdown_count(void);

#endif
