/*
 * page.h: the physical page allocator, page references and the direct map.
 *
 * All RAM the host reported is mapped at DIRECT_MAP_BASE + pa
 * (supervisor-only, RW, NX). Pages come back zeroed, so nothing leaks
 * from one owner to the next.
 *
 * Ownership (docs/kernel-memory.md): every page has a reference count.
 * page_alloc hands out one reference; page_get adds one (a second PTE, the
 * page cache and a mapping, ...); page_put drops one and frees the page
 * with the last. page_free is for a page its caller owns alone (heap, page
 * tables, stacks): it panics if someone else still holds a reference.
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

/* One zeroed 4 KiB page (direct-map address) with one reference, or NULL
 * when out of memory (after asking the reclaim hook for memory). */
void *page_alloc(void);
/* Drop the caller's only reference (panics if the page is shared). */
void page_free(void *page);

/* References (page: a direct-map address of a page from page_alloc). */
void *page_get(void *page);
void page_put(void *page);
u32 page_refcount(const void *page);

/* count physically contiguous zeroed pages, or NULL. */
void *page_alloc_contig(size_t count);
void page_free_contig(void *first, size_t count);

/* Who can give memory back when page_alloc finds none: the page caches
 * (the root disk's, volumes'). Each call adds a hook (at most 4); they are
 * asked in turn. hook(want) frees up to want pages it holds alone and
 * returns how many it freed (0: nothing left to give). Called with no
 * locks of the caller's held beyond the kernel's own. */
void page_set_reclaim_hook(size_t (*hook)(size_t want));

/* Free and total pages (for sysinfo and /proc/meminfo). */
size_t page_free_count(void);
size_t page_total_count(void);

#endif
