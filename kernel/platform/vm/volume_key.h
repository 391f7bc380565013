/* volume_key.h: the development volume keys in fw_cfg, shared by the VM
 * backend and td.fd's kernel booted as a plain VM. */
#ifndef CVMIFY_PLATFORM_VM_VOLUME_KEY_H
#define CVMIFY_PLATFORM_VM_VOLUME_KEY_H

#include "lib/types.h"

/* Key `index` of fw_cfg opt/cvmify/volume-keys (32 bytes each, at most
 * 16): 0, -ENOENT (no such file or index), -EINVAL (a bad size). */
int fwcfg_volume_key(u32 index, u8 key[32]);

#endif
