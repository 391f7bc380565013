/*
 * page.c: physical page allocator, one bit per 4 KiB page (1 = in use),
 * and one u32 reference count per page.
 *
 * The bitmap covers [0, highest RAM end) and sits in RAM right after the
 * kernel image, the reference counts right after the bitmap. Holes, the
 * first MiB, the kernel, the bitmap and the counts are marked used at
 * init. A free page has count 0; a page from page_alloc has 1; the page
 * goes back to the bitmap when page_put takes the count to 0. Pages are zeroed on allocation (through the
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
static u32 *g_refs;         /* reference count per page, direct-map address */
#define MAX_RECLAIM_HOOKS 4
static size_t (*g_reclaim[MAX_RECLAIM_HOOKS])(size_t want);
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
    size_t refs_size = ALIGN_UP(g_page_limit * sizeof(u32), PAGE_SIZE);
    size_t meta_size = bitmap_size + refs_size;

    /* The bitmap and counts go right after the kernel; that must be RAM. */
    u64 bitmap_pa = ALIGN_UP(virt_to_phys(__kernel_end), PAGE_SIZE);
    bool fits = false;
    for (size_t i = 0; i < count; i++) {
        if (bitmap_pa >= ranges[i].base &&
            bitmap_pa + meta_size <= ranges[i].base + ranges[i].size)
            fits = true;
    }
    if (!fits || bitmap_pa + meta_size > (1ULL << 30))
        panic("page: no room for the page bitmap at %lx", bitmap_pa);

    g_bitmap = phys_to_virt(bitmap_pa);
    memset(g_bitmap, 0xff, bitmap_size);
    g_refs = phys_to_virt(bitmap_pa + bitmap_size);
    memset(g_refs, 0, refs_size);
    for (size_t i = 0; i < count; i++) {
        mark_free(ranges[i].base, ranges[i].size);
        g_total_pages += ranges[i].size / PAGE_SIZE;
    }
    /* The kernel image (from its load address), the bitmap and counts. */
    extern u8 __measured_start[];
    mark_used(virt_to_phys(__measured_start), bitmap_pa + meta_size);

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

void page_set_reclaim_hook(size_t (*hook)(size_t want))
{
    for (size_t i = 0; i < MAX_RECLAIM_HOOKS; i++) {
        if (g_reclaim[i] == NULL || g_reclaim[i] == hook) {
            g_reclaim[i] = hook;
            return;
        }
    }
    panic("page_set_reclaim_hook: more than %d hooks", MAX_RECLAIM_HOOKS);
}

/* Ask every hook in turn until one gives pages back. */
static size_t reclaim(size_t want)
{
    for (size_t i = 0; i < MAX_RECLAIM_HOOKS && g_reclaim[i] != NULL; i++) {
        size_t freed = g_reclaim[i](want);
        if (freed > 0)
            return freed;
    }
    return 0;
}

/* A run of count free pages, asking the reclaim hook for memory while
 * there is none (it gives back single pages, so a long run may still
 * not appear: then NULL like any allocation failure). */
static bool find_run_or_reclaim(size_t count, size_t *first)
{
    for (;;) {
        if (count <= g_free_pages && find_run(count, first))
            return true;
        if (reclaim(count) == 0)
            return false;
    }
}

void *page_alloc_contig(size_t count)
{
    size_t first;
    if (count == 0 || !find_run_or_reclaim(count, &first))
        return NULL;
    for (size_t n = first; n < first + count; n++) {
        bit_set(n);
        g_refs[n] = 1;
    }
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

/* The page number of a direct-map page address (panics on a bad one). */
static size_t page_number(const void *page)
{
    u64 pa = virt_to_phys(page);
    if (pa % PAGE_SIZE != 0 || pa / PAGE_SIZE >= g_page_limit)
        panic("page: bad page %p", page);
    return (size_t)(pa / PAGE_SIZE);
}

static void release(size_t n)
{
    if (!bit_test(n))
        panic("page_free: double free of %lx", (u64)n * PAGE_SIZE);
    g_refs[n] = 0;
    bit_clear(n);
    g_free_pages++;
    if (n < g_next_hint)
        g_next_hint = n;
}

void page_free_contig(void *first, size_t count)
{
    size_t base = page_number(first);
    if (base + count > g_page_limit)
        panic("page_free: bad run %p + %zu", first, count);
    for (size_t n = base; n < base + count; n++) {
        if (g_refs[n] != 1)
            panic("page_free: page %lx has %u references", (u64)n * PAGE_SIZE, g_refs[n]);
        release(n);
    }
}

void page_free(void *page)
{
    page_free_contig(page, 1);
}

void *page_get(void *page)
{
    size_t n = page_number(page);
    if (g_refs[n] == 0 || g_refs[n] == 0xffffffffu)
        panic("page_get: page %lx has %u references", (u64)n * PAGE_SIZE, g_refs[n]);
    g_refs[n]++;
    return page;
}

void page_put(void *page)
{
    size_t n = page_number(page);
    if (g_refs[n] == 0)
        panic("page_put: page %lx is free", (u64)n * PAGE_SIZE);
    if (--g_refs[n] == 0)
        release(n);
}

u32 page_refcount(const void *page)
{
    return g_refs[page_number(page)];
}

size_t page_free_count(void)
{
    return g_free_pages;
}

size_t page_total_count(void)
{
    return g_total_pages;
}
