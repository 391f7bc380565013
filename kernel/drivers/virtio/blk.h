/*
 * blk.h: virtio-blk disks: reads, writes and cache flushes.
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

struct blk_disk;

/* Claim and initialise the next virtio-blk device in bus order (the
 * first one is the root disk). 0 and *out, -ENODEV when there is none,
 * -EIO when it is unusable, -ENOMEM. */
int blk_probe(struct blk_disk **out);

/* Capacity in 512-byte sectors. */
u64 blk_sector_count(const struct blk_disk *disk);

/* Read count 512-byte sectors starting at lba into buf (private memory).
 * Returns 0 or -EIO / -EINVAL (range outside the disk). */
int blk_read(struct blk_disk *disk, u64 lba, void *buf, size_t count);

/* Write count sectors from buf (private memory; copied to a shared bounce
 * buffer first) at lba. 0, -EIO, -EINVAL, -EROFS (a read-only device). */
int blk_write(struct blk_disk *disk, u64 lba, const void *buf, size_t count);

/* Read-ahead: start reading count sectors (at most 64 KiB) at lba into
 * a second bounce buffer and return without waiting; other requests may
 * go meanwhile. One at a time: -EBUSY while one is outstanding; -EIO,
 * -EINVAL (range). */
int blk_read_ahead_start(struct blk_disk *disk, u64 lba, size_t count);

/* Wait for the outstanding read-ahead and copy its sectors into buf
 * (private memory; NULL drops them). 0, -EIO, -EINVAL (none started). */
int blk_read_ahead_finish(struct blk_disk *disk, void *buf);

/* Make every completed write durable (VIRTIO_BLK_T_FLUSH; a device
 * without a volatile cache needs nothing). 0 or -EIO. */
int blk_flush(struct blk_disk *disk);

/* The device refuses writes (VIRTIO_BLK_F_RO). */
bool blk_read_only(const struct blk_disk *disk);

#endif
