/*
 * volume_key.c: the development keys of persistent volumes in VM mode,
 * handed over by the host in fw_cfg like the disk key (so a VM-mode run
 * is not confidential; cvmify run says so).
 */
#include "platform/platform.h"
#include "platform/vm/volume_key.h"
#include "syscalls/linux_abi/errno.h"

#define FW_VOLUME_KEYS "opt/cvmify/volume-keys"
#define VOLUME_KEY_SIZE 32
#define MAX_VOLUMES 16

int fwcfg_volume_key(u32 index, u8 key[32])
{
    long size = platform_fwcfg_size(FW_VOLUME_KEYS);
    if (size < 0)
        return -ENOENT;
    if (size % VOLUME_KEY_SIZE != 0 || size > MAX_VOLUMES * VOLUME_KEY_SIZE)
        return -EINVAL;
    if ((u64)(index + 1) * VOLUME_KEY_SIZE > (u64)size)
        return -ENOENT;
    u8 all[MAX_VOLUMES * VOLUME_KEY_SIZE];
    int err = platform_fwcfg_read(FW_VOLUME_KEYS, all, (size_t)size);
    if (err == 0) {
        for (u32 i = 0; i < VOLUME_KEY_SIZE; i++)
            key[i] = all[index * VOLUME_KEY_SIZE + i];
    }
    for (long i = 0; i < size; i++)
        ((volatile u8 *)all)[i] = 0;
    return err;
}
