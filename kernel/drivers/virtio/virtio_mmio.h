/*
 * virtio_mmio.h: the virtio-mmio transport (virtio 1.x, section 4.2),
 * modern interface (version 2) only.
 *
 * Trust: registers are host-controlled. The transport reads the identity
 * registers once, negotiates only the features a driver asks for, and
 * checks queue sizes against what the driver can hold.
 */
#ifndef CVMIFY_DRIVERS_VIRTIO_MMIO_H
#define CVMIFY_DRIVERS_VIRTIO_MMIO_H

#include "lib/types.h"
#include "drivers/virtio/virtqueue.h"

/* QEMU microvm: transports at 0xfeb00000 + 512*n, n < 24. */
#define VIRTIO_MMIO_WINDOW_BASE 0xfeb00000ULL
#define VIRTIO_MMIO_SLOT_SIZE 512
#define VIRTIO_MMIO_SLOT_COUNT 24

#define VIRTIO_DEVICE_NET 1
#define VIRTIO_DEVICE_BLK 2

/* Feature bits the transport knows about. */
#define VIRTIO_F_VERSION_1 32

struct virtio_mmio_dev {
	u64 base;        /* physical base of the register window */
	u32 device_id;
	u64 features;    /* negotiated */
	u16 queue_size;  /* size of queue 0 as set up */
	void *ring;      /* shared ring memory for queue 0 */
	size_t ring_size;
	struct virtqueue vq;
};

/* Find the first transport with device_id; 0 and dev->base set, or -ENODEV. */
int virtio_mmio_find(u32 device_id, struct virtio_mmio_dev *dev);

/* Reset, acknowledge, negotiate: the device must offer VIRTIO_F_VERSION_1
 * and every bit in `required`; we accept those plus the bits of
 * `optional` it offers, and nothing else. Returns 0 or -EIO. */
int virtio_mmio_negotiate(struct virtio_mmio_dev *dev, u64 required, u64 optional);

/* Set up queue 0 with at most max_size entries in shared memory. */
int virtio_mmio_setup_queue(struct virtio_mmio_dev *dev, u16 max_size);

/* Set DRIVER_OK: the device is live. */
void virtio_mmio_driver_ok(struct virtio_mmio_dev *dev);

/* Mark the device FAILED (after a rule violation; best effort). */
void virtio_mmio_fail(struct virtio_mmio_dev *dev);

/* Device config space reads (offset from the config area start). */
u32 virtio_mmio_config_read32(struct virtio_mmio_dev *dev, u32 offset);
/* A 64-bit config field read consistently (config generation checked). */
int virtio_mmio_config_read64(struct virtio_mmio_dev *dev, u32 offset, u64 *out);

#endif
