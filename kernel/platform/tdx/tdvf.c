/*
 * tdvf.c: td.fd's TDVF descriptor, as td_entry.S copied it out of the
 * boot stub (tdboot/layout.h) into g_td_bfv_data. It tells where the
 * builder put the config, the TD HOB and our own TempMem and image.
 *
 * Trust: the descriptor is part of the stub, which is measured (MRTD) in
 * a TD; a plain VM trusts its host. It is still checked completely, once,
 * here: signature, version, length, count, alignment, types.
 *
 * The config (CFV section) lies below 1 MiB, outside the direct map:
 * platform_boot_config_read maps its pages read-only at the TD window
 * (TDX_SHARED_WINDOW + pa, without the shared bit: they are private) just
 * long enough to copy them out.
 */
#include "platform/platform.h"
#include "platform/tdx/tdx.h"
#include "tdboot/layout.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "lib/string.h"
#include "syscalls/linux_abi/errno.h"
#include "panic.h"

#define DESCRIPTOR_IN_COPY (TD_DESCRIPTOR_OFFSET - TD_BFV_DATA_OFFSET)
#define CONFIG_HEADER_SIZE 16
#define CONFIG_MAGIC "CVMCFG01"

extern u8 g_td_bfv_data[TD_BFV_DATA_SIZE];

static struct td_section g_sections[TDVF_MAX_SECTIONS];
static u32 g_section_count;

static u32 rd32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static u64 rd64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }

void tdvf_init(void)
{
    if (g_section_count)
        return;
    const u8 *d = g_td_bfv_data + DESCRIPTOR_IN_COPY;
    u32 count = rd32(d + 12);
    if (rd32(d) != TDVF_SIGNATURE || rd32(d + 8) != 1)
        panic("td: no TDVF descriptor in the boot stub");
    if (count < 2 || count > TDVF_MAX_SECTIONS ||
        rd32(d + 4) != TDVF_HEADER_SIZE + TDVF_SECTION_SIZE * count ||
        DESCRIPTOR_IN_COPY + TDVF_HEADER_SIZE + TDVF_SECTION_SIZE * count > TD_BFV_DATA_SIZE)
        panic("td: TDVF descriptor has a bad length or count");
    for (u32 i = 0; i < count; i++) {
        const u8 *e = d + TDVF_HEADER_SIZE + TDVF_SECTION_SIZE * i;
        struct td_section *s = &g_sections[i];
        s->raw_size = rd32(e + 4);
        s->address = rd64(e + 8);
        s->size = rd64(e + 16);
        s->type = rd32(e + 24);
        s->attributes = rd32(e + 28);
        if (s->address % PAGE_SIZE || s->size % PAGE_SIZE || s->size == 0 ||
            s->address + s->size < s->address || s->address + s->size > (1ULL << 32) ||
            s->raw_size > s->size || s->type > TDVF_TYPE_TEMP_MEM)
            panic("td: TDVF section %u is malformed", i);
    }
    g_section_count = count;
}

const struct td_section *tdvf_section(u32 type)
{
    tdvf_init();
    for (u32 i = 0; i < g_section_count; i++) {
        if (g_sections[i].type == type && (type != TDVF_TYPE_BFV || g_sections[i].address != TD_BFV_BASE))
            return &g_sections[i];
    }
    return NULL;
}

bool tdvf_overlaps(u64 base, u64 size)
{
    tdvf_init();
    for (u32 i = 0; i < g_section_count; i++) {
        const struct td_section *s = &g_sections[i];
        if (base < s->address + s->size && s->address < base + size)
            return true;
    }
    return false;
}

/* Copy len bytes at physical pa (in a private, unmanaged page range)
 * through a temporary read-only mapping. */
static int copy_private(void *dst, u64 pa, size_t len)
{
    u64 first = ALIGN_DOWN(pa, PAGE_SIZE);
    u64 end = ALIGN_UP(pa + len, PAGE_SIZE);
    for (u64 page = first; page < end; page += PAGE_SIZE) {
        if (pt_map(kpt_kernel_root(), g_tdx_shared_window + page, page, PTE_NX) != 0)
            return -ENOMEM;
    }
    memcpy(dst, (const void *)(uptr)(g_tdx_shared_window + pa), len);
    for (u64 page = first; page < end; page += PAGE_SIZE)
        pt_unmap(kpt_kernel_root(), g_tdx_shared_window + page, NULL);
    return 0;
}

long platform_boot_config_size(void)
{
    const struct td_section *cfv = tdvf_section(TDVF_TYPE_CFV);
    u8 header[CONFIG_HEADER_SIZE];
    if (cfv == NULL || cfv->raw_size < CONFIG_HEADER_SIZE)
        return -ENOENT;
    if (copy_private(header, cfv->address, sizeof(header)) != 0)
        return -ENOMEM;
    u32 total = rd32(header + 8);
    if (memcmp(header, CONFIG_MAGIC, 8) != 0 || total < CONFIG_HEADER_SIZE || total > cfv->raw_size)
        panic("td: the CFV section holds no boot config");
    return (long)total;
}

int platform_boot_config_read(void *buf, size_t size)
{
    const struct td_section *cfv = tdvf_section(TDVF_TYPE_CFV);
    if (cfv == NULL || size > cfv->raw_size)
        return -EINVAL;
    return copy_private(buf, cfv->address, size);
}
