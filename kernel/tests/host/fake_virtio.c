/*
 * fake_virtio.c: see fake_virtio.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_virtio.h"
#include "drivers/virtio/virtio_mmio.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

static struct fake_dev *fake_of(struct virtio_dev *dev)
{
	return dev->transport_priv;
}

static u64 fake_device_features(struct virtio_dev *dev) { return fake_of(dev)->offered; }
static void fake_driver_features(struct virtio_dev *dev, u64 f) { fake_of(dev)->accepted = f; }
static u8 fake_get_status(struct virtio_dev *dev) { return fake_of(dev)->status; }

static void fake_set_status(struct virtio_dev *dev, u8 status)
{
	struct fake_dev *f = fake_of(dev);
	if ((status & VIRTIO_STATUS_FEATURES_OK) && f->refuse_features_ok)
		status &= (u8)~VIRTIO_STATUS_FEATURES_OK;
	f->status = status;
}

static u32 fake_config_generation(struct virtio_dev *dev)
{
	struct fake_dev *f = fake_of(dev);
	if (f->generation_bumps > 0) {
		f->generation_bumps--;
		f->generation++;
	}
	return f->generation;
}

static u32 fake_config_read(struct virtio_dev *dev, u32 offset, u32 width)
{
	struct fake_dev *f = fake_of(dev);
	u32 value = 0;
	if (f->config_reads < 16)
		f->config_widths[f->config_reads] = width;
	f->config_reads++;
	for (u32 i = 0; i < width && offset + i < sizeof(f->config); i++)
		value |= (u32)f->config[offset + i] << (8 * i);
	return value;
}

static u32 fake_queue_max(struct virtio_dev *dev, u16 index)
{
	return fake_of(dev)->queue_max[index];
}

static int fake_queue_enable(struct virtio_dev *dev, u16 index, u16 size, u64 desc,
                             u64 avail, u64 used)
{
	(void)desc;
	(void)avail;
	(void)used;
	struct fake_dev *f = fake_of(dev);
	if (f->refuse_queue)
		return -EIO;
	f->queue_size[index] = size;
	return 0;
}

static void fake_queue_notify(struct virtio_dev *dev, u16 index)
{
	fake_of(dev)->notified[index]++;
}

static u32 fake_irq_ack(struct virtio_dev *dev)
{
	u32 status = fake_of(dev)->irq_status;
	fake_of(dev)->irq_status = 0;
	return status;
}

static const struct virtio_transport g_fake_transport = {
	.name = "fake",
	.device_features = fake_device_features,
	.driver_features = fake_driver_features,
	.get_status = fake_get_status,
	.set_status = fake_set_status,
	.config_generation = fake_config_generation,
	.config_read = fake_config_read,
	.queue_max = fake_queue_max,
	.queue_enable = fake_queue_enable,
	.queue_notify = fake_queue_notify,
	.irq_ack = fake_irq_ack,
};

static struct fake_dev g_fakes[FAKE_MAX];
static int g_fake_count;

void fake_virtio_init(struct fake_dev *f, u32 device_id, u32 irq)
{
	memset(f, 0, sizeof(*f));
	f->dev.transport = &g_fake_transport;
	f->dev.transport_priv = f;
	f->dev.device_id = device_id;
	f->dev.irq = irq;
	snprintf(f->dev.name, sizeof(f->dev.name), "fake%u", irq);
	f->offered = 1ULL << VIRTIO_F_VERSION_1;
	for (int q = 0; q < VIRTIO_MAX_QUEUES; q++)
		f->queue_max[q] = 128;
}

struct fake_dev *fake_virtio_add(u32 device_id)
{
	if (g_fake_count == FAKE_MAX)
		abort();
	struct fake_dev *f = &g_fakes[g_fake_count];
	fake_virtio_init(f, device_id, VIRTIO_MMIO_IRQ_BASE + (u32)g_fake_count);
	g_fake_count++;
	if (virtio_register(&f->dev) != 0)
		abort();
	return f;
}

/* Fakes are registered as they are made. */
void virtio_mmio_scan(void)
{
}

void *platform_shared_alloc(size_t size, u64 *dma_addr)
{
	size_t rounded = (size + 4095) & ~(size_t)4095;
	void *p = aligned_alloc(4096, rounded);
	if (p != NULL)
		memset(p, 0, rounded);
	*dma_addr = (u64)(uintptr_t)p;
	return p;
}

void platform_shared_free(void *va, size_t size)
{
	(void)size;
	free(va);
}

void *fake_dma(u64 addr)
{
	return (void *)(uintptr_t)addr;
}

int fake_queue_take(struct virtqueue *vq, u16 *seen)
{
	if (*seen == vq->avail->idx)
		return -1;
	u16 head = vq->avail->ring[*seen % vq->size];
	(*seen)++;
	return head;
}

void fake_queue_post(struct virtqueue *vq, u32 id, u32 len)
{
	u16 idx = vq->used->idx;
	vq->used->ring[idx % vq->size].id = id;
	vq->used->ring[idx % vq->size].len = len;
	vq->used->idx = (u16)(idx + 1);
}

/* The PCI bus has nothing here: the fakes stand for every device. */
void virtio_pci_scan(void)
{
}
