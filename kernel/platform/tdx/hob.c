/*
 * hob.c: the TD HOB, the memory map a TD's host hands over (UEFI PI spec
 * HOB list; what QEMU writes: hw/i386/tdvf-hob.c). A handoff info table
 * (PHIT) first, then resource descriptors, then the end marker.
 *
 * Trust: the HOB page was added by the host and is not measured: every
 * byte is host input. The list is copied out of the TD_HOB section and
 * walked with every length bounded by that copy: a header needs 8 bytes
 * and a length that is a multiple of 8, inside the section; the PHIT
 * must come first and say where the list ends (inside the section); a
 * resource descriptor must be exactly 48 bytes. RAM ranges are page
 * aligned inward, must not wrap and must lie below the GPA shared bit;
 * ram_ranges.c applies the common rules after us.
 */
#include "platform/tdx/hob.h"
#include "lib/string.h"
#include "panic.h"

#define HOB_HANDOFF 0x0001
#define HOB_RESOURCE 0x0003
#define HOB_END 0xffff
#define HOB_HEADER_SIZE 8
#define PHIT_SIZE 56
#define PHIT_END_OF_LIST 48   /* EfiEndOfHobList, an address */
#define RESOURCE_SIZE 48
#define RESOURCE_TYPE 24
#define RESOURCE_START 32
#define RESOURCE_LENGTH 40
#define RESOURCE_SYSTEM_MEMORY 0
#define RESOURCE_MEMORY_UNACCEPTED 7

static u16 rd16(const u8 *p) { u16 v; memcpy(&v, p, 2); return v; }
static u32 rd32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static u64 rd64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }

int hob_parse(const u8 *hob, size_t size, u64 hob_gpa, u64 gpa_limit,
              struct hob_ram *out, size_t max, size_t *count_out)
{
    size_t count = 0;
    if (size < PHIT_SIZE + HOB_HEADER_SIZE || rd16(hob) != HOB_HANDOFF || rd16(hob + 2) != PHIT_SIZE)
        return HOB_ERR_PHIT;
    u64 end_addr = rd64(hob + PHIT_END_OF_LIST);
    if (end_addr <= hob_gpa || end_addr - hob_gpa > size)
        return HOB_ERR_PHIT;
    size_t end = (size_t)(end_addr - hob_gpa);
    size_t at = PHIT_SIZE;
    for (;;) {
        if (at + HOB_HEADER_SIZE > end)
            return HOB_ERR_TRUNCATED;
        u16 type = rd16(hob + at);
        u16 length = rd16(hob + at + 2);
        if (length < HOB_HEADER_SIZE || length % 8 || length > end - at)
            return HOB_ERR_LENGTH;
        if (type == HOB_END)
            break;
        if (type == HOB_RESOURCE) {
            if (length != RESOURCE_SIZE)
                return HOB_ERR_LENGTH;
            u32 kind = rd32(hob + at + RESOURCE_TYPE);
            u64 start = rd64(hob + at + RESOURCE_START);
            u64 len = rd64(hob + at + RESOURCE_LENGTH);
            if (kind == RESOURCE_SYSTEM_MEMORY || kind == RESOURCE_MEMORY_UNACCEPTED) {
                if (len == 0 || start + len < start || start + len > gpa_limit)
                    return HOB_ERR_RANGE;
                if (count == max)
                    return HOB_ERR_TOO_MANY;
                out[count].base = start;
                out[count].size = len;
                out[count].unaccepted = kind == RESOURCE_MEMORY_UNACCEPTED;
                count++;
            }
        }
        at += length;
    }
    *count_out = count;
    return 0;
}

const char *hob_error(int err)
{
    switch (err) {
    case HOB_ERR_PHIT: return "no valid handoff table first";
    case HOB_ERR_TRUNCATED: return "list runs past its end";
    case HOB_ERR_LENGTH: return "bad entry length";
    case HOB_ERR_RANGE: return "RAM range wraps or lies above the GPA width";
    case HOB_ERR_TOO_MANY: return "too many RAM ranges";
    default: return "unknown error";
    }
}
