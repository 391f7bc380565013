/*
 * ram_ranges.c: turning a host's memory map into the validated RAM
 * ranges of platform.h. Shared by every boot protocol (PVH start info,
 * fw_cfg etc/e820, the TD HOB): each hands its RAM entries to
 * ram_ranges_add() and finishes with ram_ranges_finish(), so the rules
 * live in one place: page aligned (inward), only RAM from 1 MiB up, at
 * most DIRECT_MAP_MAX, no wrap, sorted, no overlaps, not empty.
 */
#include "platform/ram_ranges.h"
#include "mm/page.h"
#include "panic.h"

#define LOW_MEMORY_END 0x100000ULL

size_t ram_ranges_add(struct ram_range *out, size_t count, size_t max, u64 addr, u64 size,
                      const char *who)
{
    if (size == 0 || addr + size < addr)
        panic("%s: memory map entry at %lx wraps", who, addr);
    u64 base = ALIGN_UP(addr, PAGE_SIZE);
    u64 end = ALIGN_DOWN(addr + size, PAGE_SIZE);
    if (base < LOW_MEMORY_END)
        base = LOW_MEMORY_END;
    if (end > DIRECT_MAP_MAX)
        end = DIRECT_MAP_MAX;
    if (end <= base)
        return count;
    if (count == max)
        panic("%s: more than %zu RAM ranges", who, max);
    out[count].base = base;
    out[count].size = end - base;
    return count + 1;
}

void ram_ranges_finish(struct ram_range *r, size_t count, const char *who)
{
    for (size_t i = 1; i < count; i++) {
        struct ram_range key = r[i];
        size_t j = i;
        while (j > 0 && r[j - 1].base > key.base) {
            r[j] = r[j - 1];
            j--;
        }
        r[j] = key;
    }
    for (size_t i = 1; i < count; i++) {
        if (r[i - 1].base + r[i - 1].size > r[i].base)
            panic("%s: overlapping RAM ranges at %lx", who, r[i].base);
    }
    if (count == 0)
        panic("%s: no usable RAM", who);
}
