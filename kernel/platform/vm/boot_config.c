/*
 * boot_config.c: a plain PVH boot carries no measured config of its own;
 * it comes from fw_cfg (main.c). td.fd's kernel has platform/tdx/tdvf.c.
 */
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

long platform_boot_config_size(void)
{
    return -ENOENT;
}

int platform_boot_config_read(void *buf, size_t size)
{
    (void)buf;
    (void)size;
    return -ENOENT;
}
