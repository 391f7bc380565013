/*
 * kpt.h: x86-64 4-level page tables, for the kernel map and for user
 * address spaces.
 *
 * The kernel half (PML4 entries 256..511) is built once at boot and
 * shared by every address space; user roots copy those entries. Leaf
 * permissions come from the flags passed to pt_map; intermediate tables
 * for user addresses get P|W|U so the leaf alone decides.
 * Page-table pages are owned by the root they hang from.
 */
#ifndef CVMIFY_MM_KPT_H
#define CVMIFY_MM_KPT_H

#include "lib/types.h"
#include "platform/platform.h"

#define PTE_P (1ULL << 0)   /* present */
#define PTE_W (1ULL << 1)   /* writable */
#define PTE_U (1ULL << 2)   /* user accessible */
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4) /* cache disable (MMIO) */
#define PTE_A (1ULL << 5)
#define PTE_D (1ULL << 6)
#define PTE_PS (1ULL << 7)  /* large page (in PD/PDPT entries) */
#define PTE_G (1ULL << 8)
#define PTE_AVAIL0 (1ULL << 9) /* free for the owner's bookkeeping */
#define PTE_AVAIL1 (1ULL << 10)
#define PTE_AVAIL2 (1ULL << 11)
#define PTE_NX (1ULL << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

#define USER_VA_END 0x0000800000000000ULL /* first non-canonical user address */

/* Build the kernel's final page tables (W^X per section, direct map of
 * the RAM ranges, device window) and switch to them. */
void kpt_init(const struct ram_range *ranges, size_t count);

/* The kernel-only root (direct-map address). */
u64 *kpt_kernel_root(void);

/* Map one 4 KiB page va -> pa with flags (PTE_P is added).
 * Returns 0, -ENOMEM, or -EEXIST if va is already mapped. */
int pt_map(u64 *root, u64 va, u64 pa, u64 flags);

/* Remove the mapping of va; stores the old pa in *pa_out if not NULL.
 * Returns 0 or -ENOENT. Flushes the TLB entry if root is active. */
int pt_unmap(u64 *root, u64 va, u64 *pa_out);

/* Pointer to the leaf PTE of va (4 KiB mappings only), or NULL when no
 * table covers it. The caller may rewrite flags, then call tlb_flush_page. */
u64 *pt_lookup(u64 *root, u64 va);

/* A new address-space root: empty user half, shared kernel half. */
u64 *pt_create_user_root(void);

/* Free the user-half page-table pages of root and root itself. Leaf pages
 * are NOT freed (the VMA layer owns them and must unmap them first). */
void pt_destroy_user_root(u64 *root);

/* Load root into CR3. */
void pt_activate(u64 *root);
u64 *pt_active_root(void);

void tlb_flush_page(u64 va);
void tlb_flush_all(void);

#endif
