/*
 * virtqueue.h: a split virtqueue (virtio 1.x, section 2.7) with a private
 * shadow.
 *
 * Trust: the descriptor table and both rings live in memory shared with
 * the device (the host). The driver writes descriptors and the avail ring
 * but never reads them back: the free list and each request's buffers are
 * kept in private memory (the shadow). The device writes the used ring;
 * every value it writes is read exactly once and checked in vq_poll():
 *   - used->idx advances by at most the number of requests in flight,
 *   - a used element's id is < queue size and heads a request in flight,
 *   - its len is <= the device-writable bytes that request offered.
 * On any violation the queue is marked broken, the request fails with
 * -EIO, and every later call fails with -EIO: the device is never trusted
 * again. This file builds on the host too (kernel/tests/host).
 */
#ifndef CVMIFY_DRIVERS_VIRTIO_VIRTQUEUE_H
#define CVMIFY_DRIVERS_VIRTIO_VIRTQUEUE_H

#include "lib/types.h"

#define VQ_MAX_SIZE 256

/* Descriptor flags (virtio 1.x). */
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
/* used->flags: the device does not need a notification now (a hint). */
#define VRING_USED_F_NO_NOTIFY 1
/* avail->flags: completions are polled unless the driver asks for
 * interrupts (vq_interrupts). */
#define VRING_AVAIL_F_NO_INTERRUPT 1

/* Shared layouts, written exactly as the spec lays them out. */
struct vring_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

struct vring_avail {
	u16 flags;
	u16 idx;
	u16 ring[];
};

struct vring_used_elem {
	u32 id;
	u32 len;
};

struct vring_used {
	u16 flags;
	u16 idx;
	struct vring_used_elem ring[];
};

_Static_assert(sizeof(struct vring_desc) == 16, "virtio descriptor layout");
_Static_assert(sizeof(struct vring_used_elem) == 8, "virtio used element layout");

/* One buffer of a request: guest-physical address (in shared memory) and
 * size in bytes. */
struct vq_buf {
	u64 phys;
	u32 size;
};

/* Private bookkeeping for one descriptor slot. */
struct vq_slot {
	u16 next;          /* free list link, or the chain link we wrote */
	bool chained;      /* we set VRING_DESC_F_NEXT on it */
	bool head_in_flight;
	u16 chain_count;   /* for a head: descriptors in its chain */
	u32 writable_size; /* for a head: device-writable bytes offered */
	void *cookie;      /* for a head: the caller's token */
};

struct virtqueue {
	u16 index;                 /* queue number on the device */
	u16 size;                  /* number of descriptors, power of two */
	/* Shared with the device: */
	volatile struct vring_desc *desc;
	volatile struct vring_avail *avail;
	volatile struct vring_used *used;
	u64 desc_phys, avail_phys, used_phys;
	/* Private: */
	struct vq_slot slots[VQ_MAX_SIZE];
	u16 free_head;
	u16 free_count;
	u16 avail_idx;             /* our copy of avail->idx */
	u16 last_used;             /* used entries consumed so far */
	u16 in_flight;             /* requests submitted, not completed */
	u16 unkicked;              /* requests added since the last kick */
	bool broken;
	void (*notify)(void *ctx, u16 queue_index);
	void *notify_ctx;
};

/* Bytes of shared memory vq_init needs for a queue of `size` entries
 * (descriptor table, avail ring, used ring, each suitably aligned). */
size_t vq_ring_bytes(u16 size);

/* Set up vq over ring memory (vq_ring_bytes(size) bytes at ring_virt,
 * guest-physical ring_phys, zeroed here). size: power of two, 1..VQ_MAX_SIZE.
 * notify is called after new requests are published. */
int vq_init(struct virtqueue *vq, u16 index, u16 size, void *ring_virt, u64 ring_phys,
            void (*notify)(void *ctx, u16 queue_index), void *notify_ctx);

/* Publish one request: out_count device-readable buffers followed by
 * in_count device-writable ones, and notify the device. Returns 0,
 * -EAGAIN when there are not enough free descriptors, -EINVAL for bad
 * arguments, -EIO when broken. */
int vq_submit(struct virtqueue *vq, const struct vq_buf *bufs, u16 out_count,
              u16 in_count, void *cookie);

/* vq_submit without the notification, to publish a batch... */
int vq_add(struct virtqueue *vq, const struct vq_buf *bufs, u16 out_count, u16 in_count,
           void *cookie);
/* ...and then notify once, unless nothing was added or the device said
 * it needs no notification now. */
void vq_kick(struct virtqueue *vq);

/* Take one completion if the device posted one: 1 and *cookie, *written
 * (device-written bytes, already checked <= offered); 0 when none is
 * ready; -EIO if the device broke a rule (the queue is now broken). */
int vq_poll(struct virtqueue *vq, void **cookie, u32 *written);

/* Ask the device to interrupt on completions (on) or not (off, the
 * default). A hint the device may ignore; never a correctness matter. */
void vq_interrupts(struct virtqueue *vq, bool on);

/* True if the device posted a completion vq_poll has not taken yet (or
 * the queue is broken, so that a waiter looks and sees -EIO). Checked
 * after vq_interrupts(vq, true) to close the race with a completion
 * that arrived before interrupts were on. */
bool vq_has_pending(const struct virtqueue *vq);

/* Descriptors free for new requests. */
static inline u16 vq_free_count(const struct virtqueue *vq)
{
	return vq->free_count;
}

static inline bool vq_is_broken(const struct virtqueue *vq)
{
	return vq->broken;
}

#endif
