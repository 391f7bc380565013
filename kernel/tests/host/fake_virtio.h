/*
 * fake_virtio.h: fake virtio devices for host tests and fuzzers, behind
 * the real device layer (drivers/virtio/virtio.c). A fake is a struct in
 * memory that answers the transport calls and can be told to lie. This
 * file also stands in for the bus (fake_virtio_add registers a fake with
 * the device layer at once) and for shared memory
 * (platform_shared_alloc: plain zeroed pages whose DMA address is their
 * own pointer, so a fake device can write "DMA" with memcpy).
 */
#ifndef CVMIFY_TESTS_HOST_FAKE_VIRTIO_H
#define CVMIFY_TESTS_HOST_FAKE_VIRTIO_H

#include "drivers/virtio/virtio.h"

#define FAKE_MAX VIRTIO_MAX_DEVICES

struct fake_dev {
	struct virtio_dev dev;
	u64 offered;
	u64 accepted;
	u8 status;
	bool refuse_features_ok;
	u32 queue_max[VIRTIO_MAX_QUEUES];
	bool refuse_queue;
	u16 queue_size[VIRTIO_MAX_QUEUES];
	u8 config[64];
	u32 generation;
	int generation_bumps;        /* bump the generation on this many reads */
	u32 config_widths[16];       /* widths of the config reads, in order */
	int config_reads;
	u32 irq_status;
	int notified[VIRTIO_MAX_QUEUES];
};

/* Set up f as a fake of device_id (VERSION_1, 128-entry queues) without
 * registering it: a driver can attach to &f->dev directly (fuzzers). */
void fake_virtio_init(struct fake_dev *f, u32 device_id, u32 irq);

/* A fake of device_id offering VERSION_1 and 128-entry queues, now
 * registered: devices are claimed in the order they were added. */
struct fake_dev *fake_virtio_add(u32 device_id);

/* Device side of a live queue: the next request the driver published
 * (its head descriptor id), or -1 when there is none. */
int fake_queue_take(struct virtqueue *vq, u16 *seen);

/* Device side: complete head id with len bytes written. */
void fake_queue_post(struct virtqueue *vq, u32 id, u32 len);

/* The guest memory a descriptor points to (DMA address = pointer). */
void *fake_dma(u64 addr);

#endif
