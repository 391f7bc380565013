/*
 * attest.c: the measurement and disk-key primitives of the PVH VM
 * backend. Nothing to extend (there is no TDX module; the software
 * register in measure/ is the VM's self-measurement), and the disk key
 * is the development key the host hands over in fw_cfg: this is why VM
 * mode is never confidential (cvmify run says so).
 */
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

#define FW_DISK_KEY "opt/cvmify/disk-key"
#define DISK_KEY_SIZE 32

int platform_measure_extend(unsigned rtmr, const u8 digest[48], const char *event)
{
    (void)rtmr;
    (void)digest;
    (void)event;
    return 0;
}

bool platform_virt_exception(struct trapframe *tf)
{
    (void)tf;
    return false; /* no #VE outside a TD */
}

const char *platform_attestation_type(void)
{
    return "none";
}

const u8 *platform_event_log(size_t *size)
{
    *size = 0;
    return NULL;
}

int platform_disk_key(u8 key[32], const u8 disk_root[48])
{
    (void)disk_root;
    if (platform_fwcfg_size(FW_DISK_KEY) != DISK_KEY_SIZE)
        return -ENOENT;
    return platform_fwcfg_read(FW_DISK_KEY, key, DISK_KEY_SIZE);
}
