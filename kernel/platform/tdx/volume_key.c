/*
 * volume_key.c: volume keys for td.fd's kernel. Booted as a plain VM
 * (td-vm) it takes the host's development keys like VM mode; a TD never
 * does, and the key broker does not release volume keys yet
 * (docs/volume-format.md, "Rollback": designed, not implemented).
 */
#include "lib/kprintf.h"
#include "platform/platform.h"
#include "platform/tdx/tdx.h"
#include "platform/vm/volume_key.h"
#include "syscalls/linux_abi/errno.h"

int platform_volume_key(u32 index, u8 key[32])
{
    if (tdx_active()) {
        kprintf("td: persistent volumes need their keys from the key broker: not implemented\n");
        return -ENOSYS;
    }
    return fwcfg_volume_key(index, key);
}
