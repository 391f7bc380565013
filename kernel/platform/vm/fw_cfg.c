/*
 * fw_cfg.c: QEMU's fw_cfg over port I/O (selector 0x510, data 0x511).
 *
 * Trust: the host writes everything here. The directory is read entry by
 * entry into private memory, the count is bounded, names must be NUL
 * terminated, and a file is only read into a caller buffer whose size
 * equals the directory's size for it. Callers check the content.
 */
#include "platform/platform.h"
#include "platform/vm/fw_cfg.h"
#include "arch/x86_64/cpu.h"
#include "lib/string.h"
#include "syscalls/linux_abi/errno.h"

#define FW_CFG_PORT_SELECTOR 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_NAME_SIZE 56
#define FW_CFG_MAX_FILES 1024

struct fw_cfg_file {
    u32 size;      /* big-endian on the wire */
    u16 select;
    u16 reserved;
    char name[FW_CFG_NAME_SIZE];
};

static void select_item(u16 key)
{
    platform_outw(FW_CFG_PORT_SELECTOR, key);
}

static void read_bytes(void *buf, size_t size)
{
    u8 *p = buf;
    for (size_t i = 0; i < size; i++)
        p[i] = platform_inb(FW_CFG_PORT_DATA);
}

static u32 be32(u32 v)
{
    return __builtin_bswap32(v);
}

static bool has_signature(void)
{
    char sig[4];
    select_item(FW_CFG_SIGNATURE);
    read_bytes(sig, sizeof(sig));
    return memcmp(sig, "QEMU", 4) == 0;
}

/* Find name in the directory; fills *out (host-endian fields). */
static bool find_file(const char *name, struct fw_cfg_file *out)
{
    if (!has_signature())
        return false;
    size_t name_len = strlen(name);
    if (name_len >= FW_CFG_NAME_SIZE)
        return false;
    u32 count;
    select_item(FW_CFG_FILE_DIR);
    read_bytes(&count, sizeof(count));
    count = be32(count);
    if (count > FW_CFG_MAX_FILES)
        count = FW_CFG_MAX_FILES;
    for (u32 i = 0; i < count; i++) {
        struct fw_cfg_file f;
        read_bytes(&f, sizeof(f));
        f.name[FW_CFG_NAME_SIZE - 1] = 0;
        if (strcmp(f.name, name) == 0) {
            out->size = be32(f.size);
            out->select = __builtin_bswap16(f.select);
            memcpy(out->name, f.name, sizeof(f.name));
            return true;
        }
    }
    return false;
}

long platform_fwcfg_size(const char *name)
{
    struct fw_cfg_file f;
    if (!find_file(name, &f))
        return -ENOENT;
    return (long)f.size;
}

int platform_fwcfg_read(const char *name, void *buf, size_t size)
{
    struct fw_cfg_file f;
    if (!find_file(name, &f))
        return -ENOENT;
    if ((size_t)f.size != size)
        return -EINVAL;
    select_item(f.select);
    read_bytes(buf, size);
    return 0;
}

u16 fw_cfg_item_u16(u16 key)
{
    if (!has_signature())
        return 0;
    u16 value;
    select_item(key);
    read_bytes(&value, sizeof(value));
    return value;
}
