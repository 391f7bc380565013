/*
 * pvh.c: the memory map from the PVH hvm_start_info (Xen's public
 * start_info.h layout, version >= 1). Host input: the structure and the
 * map are copied out, every entry is checked, and anything inconsistent
 * stops the boot. Only RAM above 1 MiB is used.
 */
#include "platform/platform.h"
#include "platform/ram_ranges.h"
#include "mm/page.h"
#include "lib/string.h"
#include "lib/kprintf.h"
#include "panic.h"

#define HVM_START_MAGIC 0x336ec578
#define HVM_MEMMAP_TYPE_RAM 1
#define MEMMAP_MAX_ENTRIES 128
#define BOOT_MAP_END (1ULL << 30) /* what the boot page tables reach */

struct hvm_start_info {
    u32 magic;
    u32 version;
    u32 flags;
    u32 nr_modules;
    u64 modlist_paddr;
    u64 cmdline_paddr;
    u64 rsdp_paddr;
    u64 memmap_paddr; /* version >= 1 */
    u32 memmap_entries;
    u32 reserved;
};

struct hvm_memmap_entry {
    u64 addr;
    u64 size;
    u32 type;
    u32 reserved;
};

/* Copy size bytes at physical pa (below 1 GiB, reachable through the boot
 * map) into private memory. */
static void copy_from_boot_phys(void *dst, u64 pa, u64 size)
{
    if (pa >= BOOT_MAP_END || size > BOOT_MAP_END - pa)
        panic("pvh: boot data at %lx+%lx outside the boot map", pa, size);
    memcpy(dst, phys_to_virt(pa), size);
}

size_t platform_memory_map(u64 boot_info_pa, struct ram_range *out, size_t max)
{
    struct hvm_start_info info;
    copy_from_boot_phys(&info, boot_info_pa, sizeof(info));
    if (info.magic != HVM_START_MAGIC)
        panic("pvh: bad start_info magic %x", info.magic);
    if (info.version < 1 || info.memmap_entries == 0)
        panic("pvh: start_info has no memory map (version %u)", info.version);
    if (info.memmap_entries > MEMMAP_MAX_ENTRIES)
        panic("pvh: %u memory map entries", info.memmap_entries);

    static struct hvm_memmap_entry entries[MEMMAP_MAX_ENTRIES];
    copy_from_boot_phys(entries, info.memmap_paddr,
                        (u64)info.memmap_entries * sizeof(entries[0]));

    size_t count = 0;
    for (u32 i = 0; i < info.memmap_entries; i++) {
        if (entries[i].type == HVM_MEMMAP_TYPE_RAM)
            count = ram_ranges_add(out, count, max, entries[i].addr, entries[i].size, "pvh");
    }
    ram_ranges_finish(out, count, "pvh");
    return count;
}
