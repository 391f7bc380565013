/*
 * kstack.c: task kernel stacks in their own virtual region, each above
 * an unmapped guard page (see kstack.h).
 *
 * Slot i covers [base + i * slot, base + (i + 1) * slot) with slot =
 * KSTACK_SLOT_PAGES pages; its first page is the guard and is never
 * mapped. The region's page tables hang from the kernel half of the
 * kernel root, whose PML4 entries every address space shares, so a
 * stack mapped here is visible in all of them; unmapping one flushes
 * every CPU's TLB (mm/tlb.h) before its pages are reused, which is why up
 * to CACHE_MAX freed stacks stay mapped for reuse instead.
 */
#include "mm/kstack.h"

#include "lib/string.h"
#include "mm/kpt.h"
#include "mm/tlb.h"
#include "mm/page.h"
#include "panic.h"

#define SLOT_BYTES ((u64)KSTACK_SLOT_PAGES * PAGE_SIZE)
#define REGION_END (KSTACK_REGION_BASE + KSTACK_SLOTS * SLOT_BYTES)

/* Freed stacks kept mapped for the next kstack_alloc: unmapping one
 * costs a TLB shootdown on every CPU, and threads come and go often. */
#define CACHE_MAX 64

static u64 g_used[KSTACK_SLOTS / 64]; /* bit set: slot in use */
static void *g_cache[CACHE_MAX];
static size_t g_cached;
static size_t g_next_hint;
static size_t g_count;

static bool slot_used(size_t slot)
{
    return (g_used[slot / 64] >> (slot % 64)) & 1;
}

static void slot_mark(size_t slot, bool used)
{
    if (used)
        g_used[slot / 64] |= 1ULL << (slot % 64);
    else
        g_used[slot / 64] &= ~(1ULL << (slot % 64));
}

/* The stack's first usable page (just above the guard). */
static u64 slot_stack(size_t slot)
{
    return KSTACK_REGION_BASE + slot * SLOT_BYTES + PAGE_SIZE;
}

/* Unmap and free the first `mapped` pages of a slot's stack. */
static void unmap_pages(u64 stack, size_t mapped)
{
    u64 *root = kpt_kernel_root();
    struct tlb_batch batch; /* freed once no CPU has the stack in its TLB */
    tlb_batch_init(&batch, NULL);
    for (size_t i = 0; i < mapped; i++) {
        u64 va = stack + i * PAGE_SIZE;
        u64 pa;
        if (pt_unmap(root, va, &pa) != 0)
            panic("kstack: page %lx of a stack was not mapped", va);
        tlb_batch_add(&batch, va, phys_to_virt(pa));
    }
    tlb_batch_finish(&batch);
}

static bool find_free_slot(size_t *out)
{
    for (size_t n = 0; n < KSTACK_SLOTS; n++) {
        size_t slot = (g_next_hint + n) % KSTACK_SLOTS;
        if (!slot_used(slot)) {
            *out = slot;
            return true;
        }
    }
    return false;
}

void *kstack_alloc(void)
{
    if (g_cached > 0) {
        void *stack = g_cache[--g_cached];
        memset(stack, 0, KSTACK_SIZE); /* as fresh as a new one */
        g_count++;
        return stack;
    }
    size_t slot;
    if (!find_free_slot(&slot))
        return NULL;
    u64 stack = slot_stack(slot);
    u64 *root = kpt_kernel_root();
    for (size_t i = 0; i < KSTACK_PAGES; i++) {
        void *page = page_alloc(); /* zeroed */
        if (!page || pt_map(root, stack + i * PAGE_SIZE, virt_to_phys(page),
                            PTE_G | PTE_W | PTE_NX) != 0) {
            if (page)
                page_free(page);
            unmap_pages(stack, i);
            return NULL;
        }
    }
    slot_mark(slot, true);
    g_next_hint = slot + 1;
    g_count++;
    return (void *)(uptr)stack;
}

void kstack_free(void *stack)
{
    u64 va = (u64)(uptr)stack;
    if (va < KSTACK_REGION_BASE || va >= REGION_END ||
        (va - KSTACK_REGION_BASE) % SLOT_BYTES != PAGE_SIZE)
        panic("kstack_free: %lx is not a stack", va);
    size_t slot = (va - KSTACK_REGION_BASE) / SLOT_BYTES;
    if (!slot_used(slot))
        panic("kstack_free: double free of %lx", va);
    u64 rsp = (u64)(uptr)__builtin_frame_address(0);
    if (rsp >= va && rsp < va + KSTACK_SIZE)
        panic("kstack_free: freeing the running stack %lx", va);
    for (size_t i = 0; i < g_cached; i++) {
        if (g_cache[i] == stack)
            panic("kstack_free: double free of %lx", va);
    }
    if (g_cached < CACHE_MAX) {
        g_cache[g_cached++] = stack; /* still mapped, slot still used */
        g_count--;
        return;
    }
    unmap_pages(va, KSTACK_PAGES);
    slot_mark(slot, false);
    if (slot < g_next_hint)
        g_next_hint = slot;
    g_count--;
}

bool kstack_is_guard(u64 addr)
{
    if (addr < KSTACK_REGION_BASE || addr >= REGION_END)
        return false;
    return (addr - KSTACK_REGION_BASE) % SLOT_BYTES < PAGE_SIZE;
}

size_t kstack_count(void)
{
    return g_count;
}
