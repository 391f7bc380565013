/*
 * shared.c: memory the host's devices may DMA into (TDX: shared pages).
 *
 * Allocation: contiguous private pages, converted with
 * TDG.VP.VMCALL<MapGPA> (GHCI 3.2) to shared (GPA | shared bit), then
 * mapped at g_tdx_shared_window + pa with the shared bit in the PTE
 * (supervisor, RW, NX) and zeroed through that mapping: the host may have
 * left anything in them. The private direct-map alias of these pages must
 * not be touched while they are shared. The device is given the plain
 * GPA (no shared bit), as the VMM sees guest memory.
 *
 * Free: unmap, MapGPA back to private, TDG.MEM.PAGE.ACCEPT each page,
 * and only then return them to the allocator. If any step fails the pages
 * are leaked (logged): a page of unknown state must never be reused as
 * private memory.
 */
#include "platform/platform.h"
#include "platform/tdx/tdx.h"
#include "platform/tdx/tdcall.h"
#include "mm/page.h"
#include "mm/kpt.h"
#include "lib/string.h"
#include "lib/kprintf.h"

/* PML4 slot 511 (shared by all address spaces); 64 GiB reach, below the
 * kernel image at KERNEL_VBASE. */
#define TDX_SHARED_WINDOW_BASE 0xffffff8000000000ULL

u64 g_tdx_shared_window = TDX_SHARED_WINDOW_BASE;

static void *window_va(u64 pa)
{
    return (void *)(uptr)(g_tdx_shared_window + pa);
}

static void unmap_window(u64 pa, size_t pages)
{
    for (size_t i = 0; i < pages; i++)
        pt_unmap(kpt_kernel_root(), (u64)(uptr)window_va(pa + i * PAGE_SIZE), NULL);
}

static bool map_window(u64 pa, size_t pages)
{
    u64 shared = tdx_shared_bit();
    for (size_t i = 0; i < pages; i++) {
        u64 page_pa = pa + i * PAGE_SIZE;
        if (pt_map(kpt_kernel_root(), (u64)(uptr)window_va(page_pa), page_pa | shared,
                   PTE_W | PTE_NX) != 0) {
            unmap_window(pa, i);
            return false;
        }
    }
    return true;
}

void *platform_shared_alloc(size_t size, u64 *dma_addr)
{
    size_t pages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
    if (pages == 0)
        return NULL;
    void *priv = page_alloc_contig(pages);
    if (!priv)
        return NULL;
    if (!tdx_active()) { /* td.fd as a plain VM: all memory is host-visible */
        memset(priv, 0, (size_t)pages * PAGE_SIZE);
        if (dma_addr)
            *dma_addr = virt_to_phys(priv);
        return priv;
    }
    u64 pa = virt_to_phys(priv);
    u64 bytes = (u64)pages * PAGE_SIZE;
    if (tdx_map_gpa(pa | tdx_shared_bit(), bytes) != 0) {
        kprintf("tdx: MapGPA to shared of %lx+%lx refused; %zu pages leaked\n", pa, bytes,
                pages);
        return NULL;
    }
    if (!map_window(pa, pages)) {
        kprintf("tdx: no page tables for shared %lx; %zu pages leaked\n", pa, pages);
        return NULL;
    }
    void *va = window_va(pa);
    memset(va, 0, bytes);
    if (dma_addr)
        *dma_addr = pa;
    return va;
}

static bool accept_pages(u64 pa, size_t pages)
{
    for (size_t i = 0; i < pages; i++) {
        if (tdx_accept_page(pa + i * PAGE_SIZE, false) != 0)
            return false;
    }
    return true;
}

void platform_shared_free(void *va, size_t size)
{
    if (!va)
        return;
    size_t pages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
    if (!tdx_active()) {
        page_free_contig(va, pages);
        return;
    }
    u64 pa = (u64)(uptr)va - g_tdx_shared_window;
    unmap_window(pa, pages);
    if (tdx_map_gpa(pa, (u64)pages * PAGE_SIZE) != 0 || !accept_pages(pa, pages)) {
        kprintf("tdx: cannot make %lx private again; %zu pages leaked\n", pa, pages);
        return;
    }
    page_free_contig(phys_to_virt(pa), pages);
}
