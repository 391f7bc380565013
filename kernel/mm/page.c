/*
 * page.c: physical page allocator, one bit per 4 KiB page (1 = in use).
 *
 * The bitmap covers [0, highest RAM end) and sits in RAM right after the
 * kernel image. Holes, the first MiB, the kernel and the bitmap itself
 * are marked used at init. Pages are zeroed on allocation (through the
 * direct map), so no data moves between owners. Until kpt_init builds the
 * full direct map only pages below 1 GiB are reachable; page_init keeps
 * the search below that until page_set_direct_map_ready() is called.
 */
#include "mm/page.h"
#include "lib/string.h"
#include "lib/kprintf.h"
#include "panic.h"

extern u8 __kernel_end[];

static u64 *g_bitmap;       /* direct-map address */
static size_t g_page_limit; /* pages covered by the bitmap */
static size_t g_search_limit;
static size_t g_next_hint;
static size_t g_free_pages;
static size_t g_total_pages;

#define BOOT_REACHABLE_PAGES ((1ULL << 30) / PAGE_SIZE)

static bool bit_test(size_t n) { return (g_bitmap[n / 64] >> (n % 64)) & 1; }
static void bit_set(size_t n) { g_bitmap[n / 64] |= 1ULL << (n % 64); }
static void bit_clear(size_t n) { g_bitmap[n / 64] &= ~(1ULL << (n % 64)); }

static void mark_free(u64 base, u64 size)
{
    for (u64 pa = base; pa < base + size; pa += PAGE_SIZE) {
        size_t n = pa / PAGE_SIZE;
        if (bit_test(n)) {
            bit_clear(n);
            g_free_pages++;
        }
    }
}

static void mark_used(u64 base, u64 end)
{
    for (u64 pa = ALIGN_DOWN(base, PAGE_SIZE); pa < end && pa / PAGE_SIZE < g_page_limit;
         pa += PAGE_SIZE) {
        size_t n = pa / PAGE_SIZE;
        if (!bit_test(n)) {
            bit_set(n);
            g_free_pages--;
        }
    }
}

void page_init(const struct ram_range *ranges, size_t count)
{
    u64 ram_end = ranges[count - 1].base + ranges[count - 1].size;
    g_page_limit = ram_end / PAGE_SIZE;
    size_t bitmap_size = ALIGN_UP(ALIGN_UP(g_page_limit, 64) / 8, PAGE_SIZE);

    /* The bitmap goes right after the kernel; that must be RAM. */
    u64 bitmap_pa = ALIGN_UP(virt_to_phys(__kernel_end), PAGE_SIZE);
    bool fits = false;
    for (size_t i = 0; i < count; i++) {
        if (bitmap_pa >= ranges[i].base &&
            bitmap_pa + bitmap_size <= ranges[i].base + ranges[i].size)
            fits = true;
    }
    if (!fits || bitmap_pa + bitmap_size > (1ULL << 30))
        panic("page: no room for the page bitmap at %lx", bitmap_pa);

    g_bitmap = phys_to_virt(bitmap_pa);
    memset(g_bitmap, 0xff, bitmap_size);
    for (size_t i = 0; i < count; i++) {
        mark_free(ranges[i].base, ranges[i].size);
        g_total_pages += ranges[i].size / PAGE_SIZE;
    }
    /* The kernel image (from its load address) and the bitmap. */
    extern u8 __measured_start[];
    mark_used(virt_to_phys(__measured_start), bitmap_pa + bitmap_size);

    g_search_limit = MIN(g_page_limit, (size_t)BOOT_REACHABLE_PAGES);
    g_next_hint = 0;
    kprintf("page: %zu MiB RAM, %zu pages free\n",
            (size_t)(g_total_pages * PAGE_SIZE >> 20), g_free_pages);
}

/* kpt.c calls this once the direct map covers all RAM. */
void page_set_direct_map_ready(void);
void page_set_direct_map_ready(void)
{
    g_search_limit = g_page_limit;
}

/* First run of count free pages at or after the hint, wrapping once. */
static bool find_run(size_t count, size_t *first)
{
    for (int pass = 0; pass < 2; pass++) {
        size_t start = pass == 0 ? g_next_hint : 0;
        size_t run = 0;
        for (size_t n = start; n < g_search_limit; n++) {
            if (n % 64 == 0 && run == 0 && g_bitmap[n / 64] == ~0ULL && n + 64 <= g_search_limit) {
                n += 63; /* a fully used word */
                continue;
            }
            if (bit_test(n)) {
                run = 0;
                continue;
            }
            if (++run == count) {
                *first = n + 1 - count;
                return true;
            }
        }
    }
    return false;
}

void *page_alloc_contig(size_t count)
{
    size_t first;
    if (count == 0 || count > g_free_pages || !find_run(count, &first))
        return NULL;
    for (size_t n = first; n < first + count; n++)
        bit_set(n);
    g_free_pages -= count;
    g_next_hint = first + count;
    void *va = phys_to_virt((u64)first * PAGE_SIZE);
    memset(va, 0, count * PAGE_SIZE);
    return va;
}

void *page_alloc(void)
{
    return page_alloc_contig(1);
}

void page_free_contig(void *first, size_t count)
{
    u64 pa = virt_to_phys(first);
    if (pa % PAGE_SIZE != 0 || pa / PAGE_SIZE + count > g_page_limit)
        panic("page_free: bad page %p", first);
    for (size_t n = pa / PAGE_SIZE; n < pa / PAGE_SIZE + count; n++) {
        if (!bit_test(n))
            panic("page_free: double free of %lx", (u64)n * PAGE_SIZE);
        bit_clear(n);
    }
    g_free_pages += count;
    if (pa / PAGE_SIZE < g_next_hint)
        g_next_hint = pa / PAGE_SIZE;
}

void page_free(void *page)
{
    page_free_contig(page, 1);
}

size_t page_free_count(void)
{
    return g_free_pages;
}

size_t page_total_count(void)
{
    return g_total_pages;
}
