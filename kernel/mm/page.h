/*
 * page.h: the physical page allocator and the direct map.
 *
 * All RAM the host reported is mapped at DIRECT_MAP_BASE + pa
 * (supervisor-only, RW, NX). Pages come back zeroed, so nothing leaks
 * from one owner to the next. The caller owns a page until page_free.
 */
#ifndef CVMIFY_MM_PAGE_H
#define CVMIFY_MM_PAGE_H

#include "lib/types.h"
#include "platform/platform.h"

#define DIRECT_MAP_BASE 0xffff800000000000ULL
#define DIRECT_MAP_MAX (64ULL << 30) /* RAM above 64 GiB is ignored */
#define KERNEL_VBASE 0xffffffff80000000ULL

static inline void *phys_to_virt(u64 pa)
{
    return (void *)(uptr)(DIRECT_MAP_BASE + pa);
}

/* Works for direct-map and kernel-image addresses. */
static inline u64 virt_to_phys(const void *va)
{
    uptr v = (uptr)va;
    if (v >= KERNEL_VBASE)
        return v - KERNEL_VBASE;
    return v - DIRECT_MAP_BASE;
}

/* Take the RAM ranges; reserve the kernel image, boot tables and the
 * first 1 MiB. */
void page_init(const struct ram_range *ranges, size_t count);

/* One zeroed 4 KiB page (direct-map address), or NULL when out of memory. */
void *page_alloc(void);
void page_free(void *page);

/* count physically contiguous zeroed pages, or NULL. */
void *page_alloc_contig(size_t count);
void page_free_contig(void *first, size_t count);

/* Free and total pages (for sysinfo and /proc/meminfo). */
size_t page_free_count(void);
size_t page_total_count(void);

#endif
