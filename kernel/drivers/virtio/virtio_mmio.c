/*
 * virtio_mmio.c: virtio-mmio transport, modern (version 2) devices only.
 * Each call moves register values to or from the device layer
 * (virtio.c), which checks them.
 */
#include "drivers/virtio/virtio_mmio.h"
#include "drivers/virtio/virtio.h"
#include "lib/kprintf.h"
#include "lib/printf.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

/* Register offsets (virtio 1.x, 4.2.2). */
#define REG_MAGIC 0x000
#define REG_VERSION 0x004
#define REG_DEVICE_ID 0x008
#define REG_DEVICE_FEATURES 0x010
#define REG_DEVICE_FEATURES_SEL 0x014
#define REG_DRIVER_FEATURES 0x020
#define REG_DRIVER_FEATURES_SEL 0x024
#define REG_QUEUE_SEL 0x030
#define REG_QUEUE_NUM_MAX 0x034
#define REG_QUEUE_NUM 0x038
#define REG_QUEUE_READY 0x044
#define REG_QUEUE_NOTIFY 0x050
#define REG_INTERRUPT_STATUS 0x060
#define REG_INTERRUPT_ACK 0x064
#define REG_STATUS 0x070
#define REG_QUEUE_DESC_LOW 0x080
#define REG_QUEUE_DRIVER_LOW 0x090
#define REG_QUEUE_DEVICE_LOW 0x0a0
#define REG_CONFIG_GENERATION 0x0fc
#define REG_CONFIG 0x100

#define MAGIC_VIRT 0x74726976 /* "virt" */

/* One slot's state; the device layer keeps a pointer to .dev. */
struct mmio_slot {
	struct virtio_dev dev;
	u64 base;
};

static struct mmio_slot g_slots[VIRTIO_MMIO_SLOT_COUNT];

static u64 slot_base(struct virtio_dev *dev)
{
	return ((struct mmio_slot *)dev->transport_priv)->base;
}

static u32 reg_read(struct virtio_dev *dev, u32 reg)
{
	return platform_mmio_read32(slot_base(dev) + reg);
}

static void reg_write(struct virtio_dev *dev, u32 reg, u32 value)
{
	platform_mmio_write32(slot_base(dev) + reg, value);
}

static u64 mmio_device_features(struct virtio_dev *dev)
{
	reg_write(dev, REG_DEVICE_FEATURES_SEL, 0);
	u64 low = reg_read(dev, REG_DEVICE_FEATURES);
	reg_write(dev, REG_DEVICE_FEATURES_SEL, 1);
	u64 high = reg_read(dev, REG_DEVICE_FEATURES);
	return low | (high << 32);
}

static void mmio_driver_features(struct virtio_dev *dev, u64 features)
{
	reg_write(dev, REG_DRIVER_FEATURES_SEL, 0);
	reg_write(dev, REG_DRIVER_FEATURES, (u32)features);
	reg_write(dev, REG_DRIVER_FEATURES_SEL, 1);
	reg_write(dev, REG_DRIVER_FEATURES, (u32)(features >> 32));
}

static u8 mmio_get_status(struct virtio_dev *dev)
{
	return (u8)reg_read(dev, REG_STATUS);
}

static void mmio_set_status(struct virtio_dev *dev, u8 status)
{
	reg_write(dev, REG_STATUS, status);
}

static u32 mmio_config_generation(struct virtio_dev *dev)
{
	return reg_read(dev, REG_CONFIG_GENERATION);
}

static u32 mmio_config_read(struct virtio_dev *dev, u32 offset, u32 width)
{
	u64 pa = slot_base(dev) + REG_CONFIG + offset;
	if (width == 1)
		return platform_mmio_read8(pa);
	if (width == 2)
		return platform_mmio_read16(pa);
	return platform_mmio_read32(pa);
}

static u32 mmio_queue_max(struct virtio_dev *dev, u16 index)
{
	reg_write(dev, REG_QUEUE_SEL, index);
	if (reg_read(dev, REG_QUEUE_READY) != 0)
		return 0;
	return reg_read(dev, REG_QUEUE_NUM_MAX);
}

static void write_addr(struct virtio_dev *dev, u32 low_reg, u64 addr)
{
	reg_write(dev, low_reg, (u32)addr);
	reg_write(dev, low_reg + 4, (u32)(addr >> 32));
}

static int mmio_queue_enable(struct virtio_dev *dev, u16 index, u16 size, u64 desc_phys,
                             u64 avail_phys, u64 used_phys)
{
	reg_write(dev, REG_QUEUE_SEL, index);
	reg_write(dev, REG_QUEUE_NUM, size);
	write_addr(dev, REG_QUEUE_DESC_LOW, desc_phys);
	write_addr(dev, REG_QUEUE_DRIVER_LOW, avail_phys);
	write_addr(dev, REG_QUEUE_DEVICE_LOW, used_phys);
	reg_write(dev, REG_QUEUE_READY, 1);
	return reg_read(dev, REG_QUEUE_READY) == 1 ? 0 : -EIO;
}

static void mmio_queue_notify(struct virtio_dev *dev, u16 index)
{
	reg_write(dev, REG_QUEUE_NOTIFY, index);
}

static u32 mmio_irq_ack(struct virtio_dev *dev)
{
	u32 status = reg_read(dev, REG_INTERRUPT_STATUS) & (VIRTIO_IRQ_QUEUE | VIRTIO_IRQ_CONFIG);
	if (status != 0)
		reg_write(dev, REG_INTERRUPT_ACK, status);
	return status;
}

static const struct virtio_transport g_mmio_transport = {
	.name = "virtio-mmio",
	.device_features = mmio_device_features,
	.driver_features = mmio_driver_features,
	.get_status = mmio_get_status,
	.set_status = mmio_set_status,
	.config_generation = mmio_config_generation,
	.config_read = mmio_config_read,
	.queue_max = mmio_queue_max,
	.queue_enable = mmio_queue_enable,
	.queue_notify = mmio_queue_notify,
	.irq_ack = mmio_irq_ack,
};

/* QEMU fills the transports from the top slot down, so scanning
 * downwards finds devices in command-line order (docs/boot-config.md). */
void virtio_mmio_scan(void)
{
	for (u32 n = VIRTIO_MMIO_SLOT_COUNT; n-- > 0;) {
		struct mmio_slot *slot = &g_slots[n];
		struct virtio_dev *dev = &slot->dev;
		slot->base = VIRTIO_MMIO_WINDOW_BASE + (u64)n * VIRTIO_MMIO_SLOT_SIZE;
		dev->transport = &g_mmio_transport;
		dev->transport_priv = slot;
		if (reg_read(dev, REG_MAGIC) != MAGIC_VIRT)
			continue;
		u32 id = reg_read(dev, REG_DEVICE_ID);
		if (id == 0) /* an empty transport */
			continue;
		u32 version = reg_read(dev, REG_VERSION);
		if (version != 2) {
			kprintf("virtio: mmio slot %u: version %u, need 2 (modern)\n", n, version);
			continue;
		}
		dev->device_id = id;
		dev->irq = VIRTIO_MMIO_IRQ_BASE + n;
		snprintf(dev->name, sizeof(dev->name), "virtio-mmio@%llx",
		         (unsigned long long)slot->base);
		virtio_register(dev);
	}
}
