/*
 * tlb.h: dropping stale TLB entries of a user address space.
 *
 * Every change that takes a right away from a present user PTE (unmap,
 * write-protect for copy-on-write, mprotect) or points it at another
 * page goes through tlb_flush_range once the PTEs are written. Today one
 * CPU runs the kernel, so the range is flushed only if mm is the address
 * space loaded here; this is the one place that grows cross-CPU
 * shootdowns for SMP.
 */
#ifndef CVMIFY_MM_TLB_H
#define CVMIFY_MM_TLB_H

#include "lib/types.h"

struct mm;

/* [start, end): page-aligned user addresses of mm. */
void tlb_flush_range(struct mm *mm, u64 start, u64 end);

#endif
