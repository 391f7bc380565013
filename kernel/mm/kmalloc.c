/*
 * kmalloc.c: the kernel heap.
 *
 * Every block has a 16-byte header in front of it. Blocks up to 2 KiB
 * (with header) come from power-of-two size classes carved out of whole
 * pages and recycled through per-class free lists; larger ones are runs
 * of contiguous pages. The header's magic catches double frees and
 * foreign pointers (a kernel bug: panic).
 */
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "lib/string.h"
#include "panic.h"

#define MAGIC_USED 0x6b6d616c6c6f6321ULL /* "kmalloc!" */
#define MAGIC_FREE 0x6b667265656421ULL
#define HEADER_SIZE 16
#define CLASS_MIN_SHIFT 5   /* 32 bytes */
#define CLASS_MAX_SHIFT 11  /* 2048 bytes */
#define CLASS_COUNT (CLASS_MAX_SHIFT - CLASS_MIN_SHIFT + 1)
#define LARGE_CLASS 0xff

struct header {
    u64 magic;
    u32 class;  /* size-class index, or LARGE_CLASS */
    u32 pages;  /* page count for large blocks */
};
_Static_assert(sizeof(struct header) == HEADER_SIZE, "kmalloc header");

struct free_block {
    struct header header;
    struct free_block *next;
};

static struct free_block *g_free_list[CLASS_COUNT];

static int class_for(size_t total)
{
    for (int c = 0; c < CLASS_COUNT; c++) {
        if (total <= (1UL << (CLASS_MIN_SHIFT + c)))
            return c;
    }
    return -1;
}

/* Cut a fresh page into blocks of class c. */
static bool refill(int c)
{
    u8 *page = page_alloc();
    if (!page)
        return false;
    size_t block = 1UL << (CLASS_MIN_SHIFT + c);
    for (size_t off = 0; off + block <= PAGE_SIZE; off += block) {
        struct free_block *b = (struct free_block *)(page + off);
        b->header.magic = MAGIC_FREE;
        b->header.class = (u32)c;
        b->next = g_free_list[c];
        g_free_list[c] = b;
    }
    return true;
}

void *kmalloc(size_t size)
{
    if (size > (1ULL << 32))
        return NULL;
    size_t total = size + HEADER_SIZE;
    int c = class_for(total);
    struct header *h;
    if (c >= 0) {
        if (!g_free_list[c] && !refill(c))
            return NULL;
        struct free_block *b = g_free_list[c];
        g_free_list[c] = b->next;
        h = &b->header;
        h->class = (u32)c;
        h->pages = 0;
    } else {
        size_t pages = ALIGN_UP(total, PAGE_SIZE) / PAGE_SIZE;
        h = page_alloc_contig(pages);
        if (!h)
            return NULL;
        h->class = LARGE_CLASS;
        h->pages = (u32)pages;
    }
    h->magic = MAGIC_USED;
    return (u8 *)h + HEADER_SIZE;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *p)
{
    if (!p)
        return;
    struct header *h = (struct header *)((u8 *)p - HEADER_SIZE);
    if (h->magic != MAGIC_USED)
        panic("kfree: bad or double free of %p", p);
    h->magic = MAGIC_FREE;
    if (h->class == LARGE_CLASS) {
        page_free_contig(h, h->pages);
        return;
    }
    if (h->class >= CLASS_COUNT)
        panic("kfree: corrupt header at %p", p);
    struct free_block *b = (struct free_block *)h;
    b->next = g_free_list[h->class];
    g_free_list[h->class] = b;
}
