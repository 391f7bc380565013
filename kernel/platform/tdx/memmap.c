/*
 * memmap.c: platform_memory_map for td.fd's kernel. In a TD the map is
 * the TD HOB (hob.c), at the address td.fd's measured descriptor names;
 * the host's RCX must agree, and every unaccepted RAM range the kernel
 * will use is accepted here, before the page allocator touches it. In a
 * plain VM it is QEMU's fw_cfg file etc/e820 (20-byte entries: u64
 * address, u64 length, u32 type; type 1 is RAM). Both end in
 * ram_ranges.c's common checks.
 */
#include "platform/platform.h"
#include "platform/ram_ranges.h"
#include "platform/tdx/tdx.h"
#include "platform/tdx/hob.h"
#include "tdboot/layout.h"
#include "mm/page.h"
#include "lib/string.h"
#include "lib/kprintf.h"
#include "panic.h"

#define HOB_MAX_SIZE 0x4000
#define HOB_MAX_RAM 64
#define E820_FILE "etc/e820"
#define E820_ENTRY_SIZE 20
#define E820_MAX_ENTRIES 128
#define E820_RAM 1
#define LOW_MEMORY_END 0x100000ULL

extern u32 g_td_hob_arg;

static size_t td_memory_map(struct ram_range *out, size_t max)
{
    static u8 hob[HOB_MAX_SIZE];
    static struct hob_ram ram[HOB_MAX_RAM];
    const struct td_section *section = tdvf_section(TDVF_TYPE_TD_HOB);
    if (section == NULL)
        panic("td: td.fd has no TD_HOB section");
    if (g_td_hob_arg != section->address)
        panic("td: the host passed HOB %x, td.fd's is at %lx", g_td_hob_arg, section->address);
    size_t size = section->size < HOB_MAX_SIZE ? section->size : HOB_MAX_SIZE;
    memcpy(hob, phys_to_virt(section->address), size); /* boot map: first 1 GiB */
    size_t n;
    int err = hob_parse(hob, size, section->address, tdx_shared_bit(), ram, HOB_MAX_RAM, &n);
    if (err)
        panic("td: TD HOB refused: %s", hob_error(err));
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        u64 base = ram[i].base < LOW_MEMORY_END ? LOW_MEMORY_END : ram[i].base;
        u64 end = ram[i].base + ram[i].size;
        if (end > DIRECT_MAP_MAX)
            end = DIRECT_MAP_MAX;
        if (ram[i].unaccepted && base < end && tdx_accept_range(base, end) != 0)
            panic("td: cannot accept RAM %lx..%lx", base, end);
        count = ram_ranges_add(out, count, max, ram[i].base, ram[i].size, "td hob");
    }
    ram_ranges_finish(out, count, "td hob");
    return count;
}

static size_t e820_memory_map(struct ram_range *out, size_t max)
{
    static u8 table[E820_MAX_ENTRIES * E820_ENTRY_SIZE];
    long size = platform_fwcfg_size(E820_FILE);
    if (size <= 0 || size % E820_ENTRY_SIZE || size > (long)sizeof(table))
        panic("td: fw_cfg %s missing or malformed (%ld bytes)", E820_FILE, size);
    if (platform_fwcfg_read(E820_FILE, table, (size_t)size) != 0)
        panic("td: cannot read fw_cfg %s", E820_FILE);
    size_t count = 0;
    for (long at = 0; at < size; at += E820_ENTRY_SIZE) {
        u64 addr, len;
        u32 type;
        memcpy(&addr, table + at, 8);
        memcpy(&len, table + at + 8, 8);
        memcpy(&type, table + at + 16, 4);
        if (type == E820_RAM)
            count = ram_ranges_add(out, count, max, addr, len, "e820");
    }
    ram_ranges_finish(out, count, "e820");
    return count;
}

size_t platform_memory_map(u64 boot_info_pa, struct ram_range *out, size_t max)
{
    (void)boot_info_pa; /* no PVH start info: td_entry.S passes 0 */
    tdx_mode_check();
    tdvf_init();
    kprintf("td: booted from td.fd as %s\n", tdx_active() ? "a TD" : "a plain VM");
    return tdx_active() ? td_memory_map(out, max) : e820_memory_map(out, max);
}
