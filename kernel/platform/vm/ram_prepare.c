/*
 * ram_prepare.c: platform_ram_prepare in VM mode: RAM the host gave is
 * usable as it is (only a TD has memory to accept, platform/tdx/).
 */
#include "platform/platform.h"

void platform_ram_prepare(u64 pa, size_t size)
{
    (void)pa;
    (void)size;
}
