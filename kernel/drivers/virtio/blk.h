/*
 * blk.h: the virtio-blk root disk, read-only.
 *
 * Trust: the device is the host. Sector counts come from its config space
 * and are checked once at probe; data is copied from shared bounce buffers
 * into the caller's private buffer; a device misbehaving in any way is
 * marked broken and every later request fails with -EIO.
 */
#ifndef CVMIFY_DRIVERS_VIRTIO_BLK_H
#define CVMIFY_DRIVERS_VIRTIO_BLK_H

#include "lib/types.h"

#define BLK_SECTOR_SIZE 512

/* Find and initialise the first virtio-blk device on the virtio-mmio bus.
 * Returns 0, -ENODEV when there is none, -EIO when it is unusable. */
int blk_init(void);

/* Capacity in 512-byte sectors (0 before blk_init succeeded). */
u64 blk_sector_count(void);

/* Read count 512-byte sectors starting at lba into buf (private memory).
 * Returns 0 or -EIO / -EINVAL (range outside the disk). */
int blk_read(u64 lba, void *buf, size_t count);

#endif
