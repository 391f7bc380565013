/*
 * fw_cfg.h: inside the VM backend only: fw_cfg's numbered items (the
 * named files go through platform.h).
 */
#ifndef CVMIFY_PLATFORM_VM_FW_CFG_H
#define CVMIFY_PLATFORM_VM_FW_CFG_H

#include "lib/types.h"

#define FW_CFG_NB_CPUS 0x0005   /* vCPUs QEMU started the machine with */

/* A 16-bit little-endian item; 0 when there is no fw_cfg. */
u16 fw_cfg_item_u16(u16 key);

#endif
