/*
 * virtio.c: the device layer between transports and drivers (virtio.h).
 * Status handshake, feature allowlist, queue sizing and consistent config
 * reads are done here once for every transport; transports only move
 * register values.
 */
#include "drivers/virtio/virtio.h"
#include "drivers/virtio/virtio_mmio.h"
#include "drivers/virtio/virtio_pci.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

#define CONFIG_READ_ATTEMPTS 16
#define CONFIG_MAX_SIZE 256

/* Each transport's bus scan; virtio-pci joins here. */
static void (*const g_scanners[])(void) = {
	virtio_mmio_scan,
	virtio_pci_scan,
};

static struct virtio_dev *g_devices[VIRTIO_MAX_DEVICES];
static size_t g_device_count;
static bool g_scanned;

int virtio_register(struct virtio_dev *dev)
{
	if (g_device_count == VIRTIO_MAX_DEVICES) {
		kprintf("virtio: too many devices, ignoring %s\n", dev->name);
		return -ENOSPC;
	}
	dev->claimed = false;
	dev->failed = false;
	dev->features = 0;
	g_devices[g_device_count++] = dev;
	return 0;
}

void virtio_scan(void)
{
	if (g_scanned)
		return;
	g_scanned = true;
	for (size_t i = 0; i < ARRAY_SIZE(g_scanners); i++)
		g_scanners[i]();
}

struct virtio_dev *virtio_claim(u32 device_id)
{
	virtio_scan();
	for (size_t i = 0; i < g_device_count; i++) {
		struct virtio_dev *dev = g_devices[i];
		if (!dev->claimed && dev->device_id == device_id) {
			dev->claimed = true;
			return dev;
		}
	}
	return NULL;
}

void virtio_fail(struct virtio_dev *dev)
{
	if (dev->failed)
		return;
	dev->failed = true;
	dev->transport->set_status(dev, (u8)(dev->transport->get_status(dev) |
	                                     VIRTIO_STATUS_FAILED));
}

int virtio_negotiate(struct virtio_dev *dev, u64 required, u64 optional)
{
	const struct virtio_transport *t = dev->transport;
	u8 status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	required |= 1ULL << VIRTIO_F_VERSION_1;
	/* All our device memory comes from platform_shared_alloc, which is
	 * what ACCESS_PLATFORM asks for (a TD's devices need it). */
	optional |= 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	t->set_status(dev, 0); /* reset */
	t->set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE);
	t->set_status(dev, status);

	u64 offered = t->device_features(dev);
	if ((offered & required) != required) {
		kprintf("virtio: %s lacks features %llx\n", dev->name,
		        (unsigned long long)(required & ~offered));
		virtio_fail(dev);
		return -EIO;
	}
	dev->features = required | (offered & optional);
	t->driver_features(dev, dev->features);

	status |= VIRTIO_STATUS_FEATURES_OK;
	t->set_status(dev, status);
	if (!(t->get_status(dev) & VIRTIO_STATUS_FEATURES_OK)) {
		kprintf("virtio: %s refused our features\n", dev->name);
		virtio_fail(dev);
		return -EIO;
	}
	return 0;
}

static void notify_queue(void *ctx, u16 index)
{
	struct virtio_dev *dev = ctx;
	dev->transport->queue_notify(dev, index);
}

/* The largest power of two within all three limits. */
static u16 pick_queue_size(u32 device_max, u16 max_size)
{
	u16 size = 1;
	while ((u32)size * 2 <= device_max && size * 2 <= max_size && size * 2 <= VQ_MAX_SIZE)
		size = (u16)(size * 2);
	return size;
}

struct virtqueue *virtio_queue_setup(struct virtio_dev *dev, u16 index, u16 max_size)
{
	if (index >= VIRTIO_MAX_QUEUES || dev->queues[index] != NULL || max_size == 0)
		return NULL;
	u32 device_max = dev->transport->queue_max(dev, index);
	if (device_max == 0) {
		kprintf("virtio: %s has no queue %u\n", dev->name, index);
		return NULL;
	}
	u16 size = pick_queue_size(device_max, max_size);

	struct virtqueue *vq = kzalloc(sizeof(*vq));
	u64 ring_phys = 0;
	size_t ring_size = vq_ring_bytes(size);
	void *ring = platform_shared_alloc(ring_size, &ring_phys);
	if (vq == NULL || ring == NULL)
		goto fail;
	if (vq_init(vq, index, size, ring, ring_phys, notify_queue, dev) < 0)
		goto fail;
	if (dev->transport->queue_enable(dev, index, size, vq->desc_phys, vq->avail_phys,
	                                 vq->used_phys) < 0) {
		kprintf("virtio: %s refused queue %u\n", dev->name, index);
		goto fail;
	}
	dev->queues[index] = vq;
	dev->rings[index] = ring;
	dev->ring_sizes[index] = ring_size;
	return vq;

fail:
	if (ring != NULL)
		platform_shared_free(ring, ring_size);
	kfree(vq);
	return NULL;
}

void virtio_reset(struct virtio_dev *dev)
{
	dev->transport->set_status(dev, 0);
	for (u16 i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		if (dev->queues[i] == NULL)
			continue;
		platform_shared_free(dev->rings[i], dev->ring_sizes[i]);
		kfree(dev->queues[i]);
		dev->queues[i] = NULL;
		dev->rings[i] = NULL;
	}
	dev->features = 0;
	dev->failed = false;
}

void virtio_driver_ok(struct virtio_dev *dev)
{
	dev->transport->set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	                                VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

/* One pass over [offset, offset+size) at natural widths (4, 2, then 1). */
static void config_read_once(struct virtio_dev *dev, u32 offset, u8 *out, u32 size)
{
	u32 pos = 0;
	while (pos < size) {
		u32 left = size - pos;
		u32 width = 1;
		if (left >= 4 && (offset + pos) % 4 == 0)
			width = 4;
		else if (left >= 2 && (offset + pos) % 2 == 0)
			width = 2;
		u32 value = dev->transport->config_read(dev, offset + pos, width);
		for (u32 i = 0; i < width; i++)
			out[pos + i] = (u8)(value >> (8 * i));
		pos += width;
	}
}

int virtio_config_read(struct virtio_dev *dev, u32 offset, void *out, u32 size)
{
	if (size == 0 || size > CONFIG_MAX_SIZE || offset > CONFIG_MAX_SIZE - size)
		return -EINVAL;
	/* Retry while the device changes the config under us, but not forever. */
	for (int attempt = 0; attempt < CONFIG_READ_ATTEMPTS; attempt++) {
		u32 before = dev->transport->config_generation(dev);
		config_read_once(dev, offset, out, size);
		if (dev->transport->config_generation(dev) == before)
			return 0;
	}
	memset(out, 0, size);
	return -EIO;
}

u32 virtio_irq_ack(struct virtio_dev *dev)
{
	return dev->transport->irq_ack(dev) & (VIRTIO_IRQ_QUEUE | VIRTIO_IRQ_CONFIG);
}

int virtio_irq_msi(struct virtio_dev *dev, u8 vector, u32 apic_id)
{
	if (dev->transport->irq_msi == NULL)
		return -ENODEV;
	return dev->transport->irq_msi(dev, vector, apic_id);
}
