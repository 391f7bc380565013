/*
 * kpt.c: page tables. kpt_init builds the kernel's final map and switches
 * to it:
 *   - kernel image at KERNEL_VBASE + pa, per section: text R+X, rodata
 *     R+NX, data/bss R+W+NX (W^X), except the boot stack's guard page;
 *   - all RAM except the kernel image at DIRECT_MAP_BASE + pa, R+W+NX;
 *   - the device window [PLATFORM_MMIO_BASE, 4 GiB) at DIRECT_MAP_BASE +
 *     pa, uncached, R+W+NX;
 * all supervisor-only and global. Nothing else is mapped: the low
 * identity map of the boot tables is gone after the switch.
 * The kernel half (PML4 256..511) never changes after init, so user roots
 * copy those entries once.
 */
#include "mm/kpt.h"
#include "mm/page.h"
#include "arch/x86_64/cpu.h"
#include "lib/string.h"
#include "lib/kprintf.h"
#include "panic.h"
#include "syscalls/linux_abi/errno.h"

extern u8 __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern u8 __data_start[], __kernel_end[];

void page_set_direct_map_ready(void);

#define PT_ENTRIES 512
#define KERNEL_HALF_FIRST 256
#define LARGE_PAGE (2ULL << 20)

static u64 *g_kernel_root;

static size_t pt_index(u64 va, int level)
{
    return (va >> (12 + 9 * (level - 1))) & 511;
}

static u64 *table_of(u64 entry)
{
    return phys_to_virt(entry & PTE_ADDR_MASK);
}

/* The entry for va at level (1 = PT, 2 = PD, 3 = PDPT) under root,
 * creating missing tables when alloc. NULL if missing (or no memory), or
 * if a large page covers va above the wanted level. */
static u64 *walk(u64 *root, u64 va, int level, bool alloc)
{
    u64 *table = root;
    for (int l = 4; l > level; l--) {
        u64 *e = &table[pt_index(va, l)];
        if (!(*e & PTE_P)) {
            if (!alloc)
                return NULL;
            u64 *next = page_alloc();
            if (!next)
                return NULL;
            u64 flags = PTE_P | PTE_W;
            if (va < USER_VA_END)
                flags |= PTE_U; /* the leaf decides for user pages */
            *e = virt_to_phys(next) | flags;
        } else if (*e & PTE_PS) {
            return NULL;
        }
        table = table_of(*e);
    }
    return &table[pt_index(va, level)];
}

int pt_map(u64 *root, u64 va, u64 pa, u64 flags)
{
    u64 *e = walk(root, va, 1, true);
    if (!e)
        return -ENOMEM;
    if (*e & PTE_P)
        return -EEXIST;
    *e = (pa & PTE_ADDR_MASK) | (flags & ~PTE_ADDR_MASK) | PTE_P;
    return 0;
}

int pt_unmap(u64 *root, u64 va, u64 *pa_out)
{
    u64 *e = walk(root, va, 1, false);
    if (!e || !(*e & PTE_P))
        return -ENOENT;
    if (pa_out)
        *pa_out = *e & PTE_ADDR_MASK;
    *e = 0;
    if (pt_active_root() == root)
        tlb_flush_page(va);
    return 0;
}

u64 *pt_lookup(u64 *root, u64 va)
{
    return walk(root, va, 1, false);
}

/* Map [va, va+size) -> pa with 2 MiB pages where alignment allows. */
static void map_range(u64 *root, u64 va, u64 pa, u64 size, u64 flags)
{
    u64 end = va + size;
    while (va < end) {
        if (va % LARGE_PAGE == 0 && pa % LARGE_PAGE == 0 && end - va >= LARGE_PAGE) {
            u64 *e = walk(root, va, 2, true);
            if (!e)
                panic("kpt: out of memory for the kernel map");
            *e = pa | flags | PTE_P | PTE_PS;
            va += LARGE_PAGE;
            pa += LARGE_PAGE;
        } else {
            if (pt_map(root, va, pa, flags) != 0)
                panic("kpt: cannot map %lx", va);
            va += PAGE_SIZE;
            pa += PAGE_SIZE;
        }
    }
}

static void map_direct(u64 *root, u64 base, u64 end)
{
    if (end > base)
        map_range(root, DIRECT_MAP_BASE + base, base, end - base, PTE_G | PTE_W | PTE_NX);
}

extern u8 boot_stack_guard[];
extern const u8 *const crypto_stack_guard;

/* Pages of the image left unmapped: guards under the boot stack and
 * under the crypto stack (crypto/crypto_stack.h). */
static bool image_guard_page(u64 va)
{
    return va == (u64)(uptr)boot_stack_guard || va == (u64)(uptr)crypto_stack_guard;
}

static void map_kernel_section(u64 *root, u8 *start, u8 *end, u64 flags)
{
    u64 va = ALIGN_DOWN((u64)(uptr)start, PAGE_SIZE);
    u64 size = ALIGN_UP((u64)(uptr)end, PAGE_SIZE) - va;
    for (u64 off = 0; off < size; off += PAGE_SIZE) {
        if (image_guard_page(va + off))
            continue;
        if (pt_map(root, va + off, virt_to_phys((void *)(uptr)(va + off)), flags) != 0)
            panic("kpt: cannot map kernel page %lx", va + off);
    }
}

void kpt_init(const struct ram_range *ranges, size_t count)
{
    u64 *root = page_alloc();
    if (!root)
        panic("kpt: no page for the kernel root");

    /* Every kernel-half PDPT exists from the start (see the header). */
    for (size_t i = KERNEL_HALF_FIRST; i < PT_ENTRIES; i++) {
        u64 *pdpt = page_alloc();
        if (!pdpt)
            panic("kpt: out of memory");
        root[i] = virt_to_phys(pdpt) | PTE_P | PTE_W;
    }

    const u64 g = PTE_G;
    map_kernel_section(root, __text_start, __text_end, g);
    map_kernel_section(root, __rodata_start, __rodata_end, g | PTE_NX);
    map_kernel_section(root, __data_start, __kernel_end, g | PTE_W | PTE_NX);

    /* The direct map leaves out the kernel image, so its code has no
     * writable alias. The first MiB is not in the ranges and stays out. */
    u64 image_start = virt_to_phys(__text_start);
    u64 image_end = virt_to_phys(__kernel_end);
    for (size_t i = 0; i < count; i++) {
        u64 base = ranges[i].base;
        u64 end = base + ranges[i].size;
        if (base < image_start)
            map_direct(root, base, MIN(end, image_start));
        if (end > image_end)
            map_direct(root, MAX(base, image_end), end);
    }
    map_range(root, DIRECT_MAP_BASE + PLATFORM_MMIO_BASE, PLATFORM_MMIO_BASE,
              PLATFORM_MMIO_END - PLATFORM_MMIO_BASE, g | PTE_W | PTE_NX | PTE_PCD | PTE_PWT);

    g_kernel_root = root;
    pt_activate(root);
    tlb_flush_all();
    page_set_direct_map_ready();
}

u64 *kpt_kernel_root(void)
{
    return g_kernel_root;
}

u64 *pt_create_user_root(void)
{
    u64 *root = page_alloc();
    if (!root)
        return NULL;
    for (size_t i = KERNEL_HALF_FIRST; i < PT_ENTRIES; i++)
        root[i] = g_kernel_root[i];
    return root;
}

static void free_tables(u64 *table, int level)
{
    for (size_t i = 0; i < PT_ENTRIES; i++) {
        if ((table[i] & PTE_P) && level > 2 && !(table[i] & PTE_PS))
            free_tables(table_of(table[i]), level - 1);
        else if ((table[i] & PTE_P) && level == 2 && !(table[i] & PTE_PS))
            page_free(table_of(table[i]));
    }
    page_free(table);
}

void pt_destroy_user_root(u64 *root)
{
    if (root == g_kernel_root || pt_active_root() == root)
        panic("kpt: destroying an active or kernel root");
    for (size_t i = 0; i < KERNEL_HALF_FIRST; i++) {
        if (root[i] & PTE_P)
            free_tables(table_of(root[i]), 3);
    }
    page_free(root);
}

void pt_activate(u64 *root)
{
    cpu_write_cr3(virt_to_phys(root));
}

u64 *pt_active_root(void)
{
    return phys_to_virt(cpu_read_cr3() & PTE_ADDR_MASK);
}

void tlb_flush_page(u64 va)
{
    cpu_invlpg(va);
}

void tlb_flush_all(void)
{
    /* Toggling CR4.PGE drops global entries too. */
    u64 cr4 = cpu_read_cr4();
    if (cr4 & CR4_PGE) {
        cpu_write_cr4(cr4 & ~CR4_PGE);
        cpu_write_cr4(cr4);
    } else {
        cpu_write_cr3(cpu_read_cr3());
    }
}
