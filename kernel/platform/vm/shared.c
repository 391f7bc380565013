/*
 * shared.c: memory the host's devices may DMA into. In VM mode all guest
 * memory is host-visible anyway, so this is plain contiguous pages; the
 * TDX backend will convert them to shared. Callers must treat the content
 * as hostile after the device has touched it.
 */
#include "platform/platform.h"
#include "mm/page.h"

void *platform_shared_alloc(size_t size, u64 *dma_addr)
{
    size_t pages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
    void *va = page_alloc_contig(pages);
    if (va && dma_addr)
        *dma_addr = virt_to_phys(va);
    return va;
}

void platform_shared_free(void *va, size_t size)
{
    if (va)
        page_free_contig(va, ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
}
