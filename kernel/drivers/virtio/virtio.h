/*
 * virtio.h: the transport-neutral virtio device interface (virtio 1.x).
 *
 * Drivers (blk, net) see only this header. A transport (virtio-mmio
 * today, virtio-pci next) finds devices on its bus and registers each
 * with virtio_register(); drivers then claim devices by type, negotiate
 * features, set up any number of queues, read device config and ack
 * interrupts through the calls below, never through registers.
 *
 * Trust: every register value is host input. The device layer checks
 * what the transports report (feature acceptance, queue sizes, config
 * generation) in this file, and the virtqueue checks every ring value
 * the device writes (virtqueue.h). A transport only moves values between
 * registers and this interface.
 */
#ifndef CVMIFY_DRIVERS_VIRTIO_VIRTIO_H
#define CVMIFY_DRIVERS_VIRTIO_VIRTIO_H

#include "lib/types.h"
#include "drivers/virtio/virtqueue.h"

/* Device types (virtio 1.x, 5). */
#define VIRTIO_DEVICE_NET 1
#define VIRTIO_DEVICE_BLK 2

/* Transport-level feature bits. */
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33

/* Device status bits (virtio 1.x, 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_FAILED 128

/* Interrupt status bits as the transport reports them. */
#define VIRTIO_IRQ_QUEUE 1
#define VIRTIO_IRQ_CONFIG 2

#define VIRTIO_MAX_DEVICES 32
#define VIRTIO_MAX_QUEUES 4
#define VIRTIO_NO_IRQ 0xffffffffu

struct virtio_dev;

/* What a transport implements; each call touches only its registers. */
struct virtio_transport {
	const char *name;
	u64 (*device_features)(struct virtio_dev *dev);
	void (*driver_features)(struct virtio_dev *dev, u64 features);
	u8 (*get_status)(struct virtio_dev *dev);
	void (*set_status)(struct virtio_dev *dev, u8 status);   /* 0 resets */
	u32 (*config_generation)(struct virtio_dev *dev);
	/* One config field of width 1, 2 or 4 bytes at offset. */
	u32 (*config_read)(struct virtio_dev *dev, u32 offset, u32 width);
	/* Largest size the device allows for queue index; 0: no such queue
	 * or already live. */
	u32 (*queue_max)(struct virtio_dev *dev, u16 index);
	/* Give the device the ring addresses and make the queue live. */
	int (*queue_enable)(struct virtio_dev *dev, u16 index, u16 size, u64 desc_phys,
	                    u64 avail_phys, u64 used_phys);
	void (*queue_notify)(struct virtio_dev *dev, u16 index);
	/* Read and acknowledge the interrupt status (VIRTIO_IRQ_* bits). */
	u32 (*irq_ack)(struct virtio_dev *dev);
	/* Optional: have every queue's interrupts written as a message
	 * (vector to apic_id; config changes none). 0 or -errno. */
	int (*irq_msi)(struct virtio_dev *dev, u8 vector, u32 apic_id);
};

struct virtio_dev {
	const struct virtio_transport *transport;
	void *transport_priv;        /* the transport's own state */
	u32 device_id;
	u32 irq;                     /* interrupt line (GSI), or VIRTIO_NO_IRQ */
	char name[32];               /* for the log, e.g. "virtio-mmio@feb00000" */
	bool claimed;
	bool failed;
	u64 features;                /* negotiated */
	struct virtqueue *queues[VIRTIO_MAX_QUEUES];
	void *rings[VIRTIO_MAX_QUEUES];      /* shared ring memory per queue */
	size_t ring_sizes[VIRTIO_MAX_QUEUES];
};

/* ---- transports -------------------------------------------------------- */

/* Register a device a transport found. The layer keeps the pointer; the
 * transport owns dev's storage. Returns 0 or -ENOSPC (table full). */
int virtio_register(struct virtio_dev *dev);

/* ---- drivers ----------------------------------------------------------- */

/* Let every transport scan its bus once (later calls do nothing). */
void virtio_scan(void);

/* The next unclaimed device of device_id in bus order, now claimed by
 * the caller; NULL when there is none. */
struct virtio_dev *virtio_claim(u32 device_id);

/* Reset, acknowledge, negotiate: the device must offer VIRTIO_F_VERSION_1
 * and every bit in `required`; we accept those plus the bits of
 * `optional` it offers, and nothing else. 0 or -EIO (device failed). */
int virtio_negotiate(struct virtio_dev *dev, u64 required, u64 optional);

static inline bool virtio_has_feature(const struct virtio_dev *dev, u32 bit)
{
	return (dev->features >> bit) & 1;
}

/* Set up queue `index` with at most max_size entries (rounded down to a
 * power of two within the device's limit) in fresh shared memory. Returns
 * the queue or NULL (no such queue, out of memory, device refused). */
struct virtqueue *virtio_queue_setup(struct virtio_dev *dev, u16 index, u16 max_size);

/* Reset the device (it stops using its queues) and free them; it may be
 * negotiated and set up again. For a driver that gives a device up. */
void virtio_reset(struct virtio_dev *dev);

/* Set DRIVER_OK: the device is live. */
void virtio_driver_ok(struct virtio_dev *dev);

/* Mark the device FAILED after a rule violation; best effort, once. */
void virtio_fail(struct virtio_dev *dev);

/* Read size bytes (1..256) of device config at offset into out,
 * consistently: retried while the config generation changes, -EIO if it
 * never settles. Fields are read at their natural width. */
int virtio_config_read(struct virtio_dev *dev, u32 offset, void *out, u32 size);

/* Read and acknowledge the device's interrupt status (VIRTIO_IRQ_*). */
u32 virtio_irq_ack(struct virtio_dev *dev);

/* For a device without a line (dev->irq == VIRTIO_NO_IRQ): signal its
 * queues' interrupts as messages of vector to apic_id (PCI MSI-X), after
 * its queues are set up. 0, -ENODEV (the transport cannot) or -EIO (the
 * device refused). */
int virtio_irq_msi(struct virtio_dev *dev, u8 vector, u32 apic_id);

#endif
