/*
 * tdx_mem.h: the recorded page-table and page-allocator calls of the TDX
 * host model (tdx_model.c). The pool stands in for guest RAM; the test
 * points g_tdx_shared_window at an arena so window VAs land in memory.
 */
#ifndef CVMIFY_TESTS_HOST_TDX_MEM_H
#define CVMIFY_TESTS_HOST_TDX_MEM_H

#include "lib/types.h"

#define MEM_POOL_PAGES 16
#define MEM_MAX_MAPS 32

struct mem_map {
    u64 va;
    u64 pa;
    u64 flags;
};

struct tdx_mem {
    u8 *pool;             /* MEM_POOL_PAGES pages, page aligned */
    size_t pool_used;
    void *freed_first;    /* last page_free_contig */
    size_t freed_count;
    int fail_map_at;      /* pt_map fails at this call (-1: never) */
    int nmaps;
    struct mem_map maps[MEM_MAX_MAPS];
    int nunmaps;
    u64 unmaps[MEM_MAX_MAPS];
};

extern struct tdx_mem g_mem;

#endif
