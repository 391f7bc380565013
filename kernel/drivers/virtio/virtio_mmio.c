/*
 * virtio_mmio.c: virtio-mmio transport, modern (version 2) devices only.
 * Register values are host input: identity registers are checked, queue
 * sizes bounded, and the feature set is an allowlist.
 */
#include "drivers/virtio/virtio_mmio.h"
#include "lib/kprintf.h"
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
#define REG_QUEUE_DESC_HIGH 0x084
#define REG_QUEUE_DRIVER_LOW 0x090
#define REG_QUEUE_DRIVER_HIGH 0x094
#define REG_QUEUE_DEVICE_LOW 0x0a0
#define REG_QUEUE_DEVICE_HIGH 0x0a4
#define REG_CONFIG_GENERATION 0x0fc
#define REG_CONFIG 0x100

#define MAGIC_VIRT 0x74726976 /* "virt" */

/* Device status bits (virtio 1.x, 2.1). */
#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_FAILED 128

static u32 reg_read(struct virtio_mmio_dev *dev, u32 reg)
{
	return platform_mmio_read32(dev->base + reg);
}

static void reg_write(struct virtio_mmio_dev *dev, u32 reg, u32 value)
{
	platform_mmio_write32(dev->base + reg, value);
}

int virtio_mmio_find(u32 device_id, struct virtio_mmio_dev *dev)
{
	for (u32 n = 0; n < VIRTIO_MMIO_SLOT_COUNT; n++) {
		u64 base = VIRTIO_MMIO_WINDOW_BASE + (u64)n * VIRTIO_MMIO_SLOT_SIZE;
		dev->base = base;
		if (reg_read(dev, REG_MAGIC) != MAGIC_VIRT)
			continue;
		u32 id = reg_read(dev, REG_DEVICE_ID);
		if (id != device_id)
			continue;
		u32 version = reg_read(dev, REG_VERSION);
		if (version != 2) {
			kprintf("virtio: slot %u: version %u, need 2 (modern)\n", n, version);
			continue;
		}
		dev->device_id = id;
		return 0;
	}
	return -ENODEV;
}

static u64 read_device_features(struct virtio_mmio_dev *dev)
{
	reg_write(dev, REG_DEVICE_FEATURES_SEL, 0);
	u64 low = reg_read(dev, REG_DEVICE_FEATURES);
	reg_write(dev, REG_DEVICE_FEATURES_SEL, 1);
	u64 high = reg_read(dev, REG_DEVICE_FEATURES);
	return low | (high << 32);
}

static void write_driver_features(struct virtio_mmio_dev *dev, u64 features)
{
	reg_write(dev, REG_DRIVER_FEATURES_SEL, 0);
	reg_write(dev, REG_DRIVER_FEATURES, (u32)features);
	reg_write(dev, REG_DRIVER_FEATURES_SEL, 1);
	reg_write(dev, REG_DRIVER_FEATURES, (u32)(features >> 32));
}

int virtio_mmio_negotiate(struct virtio_mmio_dev *dev, u64 required, u64 optional)
{
	required |= 1ULL << VIRTIO_F_VERSION_1;

	reg_write(dev, REG_STATUS, 0); /* reset */
	reg_write(dev, REG_STATUS, STATUS_ACKNOWLEDGE);
	reg_write(dev, REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);

	u64 offered = read_device_features(dev);
	if ((offered & required) != required) {
		kprintf("virtio: device lacks features %llx\n",
		        (unsigned long long)(required & ~offered));
		virtio_mmio_fail(dev);
		return -EIO;
	}
	dev->features = required | (offered & optional);
	write_driver_features(dev, dev->features);

	reg_write(dev, REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
	if (!(reg_read(dev, REG_STATUS) & STATUS_FEATURES_OK)) {
		kprintf("virtio: device refused our features\n");
		virtio_mmio_fail(dev);
		return -EIO;
	}
	return 0;
}

static void notify_queue(void *ctx, u16 queue_index)
{
	struct virtio_mmio_dev *dev = ctx;
	reg_write(dev, REG_QUEUE_NOTIFY, queue_index);
}

static void write_addr(struct virtio_mmio_dev *dev, u32 low_reg, u64 addr)
{
	reg_write(dev, low_reg, (u32)addr);
	reg_write(dev, low_reg + 4, (u32)(addr >> 32));
}

int virtio_mmio_setup_queue(struct virtio_mmio_dev *dev, u16 max_size)
{
	reg_write(dev, REG_QUEUE_SEL, 0);
	if (reg_read(dev, REG_QUEUE_READY) != 0)
		return -EIO;
	u32 device_max = reg_read(dev, REG_QUEUE_NUM_MAX);
	if (device_max == 0)
		return -EIO;

	/* The largest power of two within both limits. */
	u16 size = 1;
	while ((u32)size * 2 <= device_max && size * 2 <= max_size && size * 2 <= VQ_MAX_SIZE)
		size = (u16)(size * 2);

	u64 ring_phys = 0;
	size_t ring_size = vq_ring_bytes(size);
	void *ring = platform_shared_alloc(ring_size, &ring_phys);
	if (ring == NULL)
		return -ENOMEM;
	int err = vq_init(&dev->vq, 0, size, ring, ring_phys, notify_queue, dev);
	if (err < 0) {
		platform_shared_free(ring, ring_size);
		return err;
	}
	dev->ring = ring;
	dev->ring_size = ring_size;
	dev->queue_size = size;

	reg_write(dev, REG_QUEUE_NUM, size);
	write_addr(dev, REG_QUEUE_DESC_LOW, dev->vq.desc_phys);
	write_addr(dev, REG_QUEUE_DRIVER_LOW, dev->vq.avail_phys);
	write_addr(dev, REG_QUEUE_DEVICE_LOW, dev->vq.used_phys);
	reg_write(dev, REG_QUEUE_READY, 1);
	return 0;
}

void virtio_mmio_driver_ok(struct virtio_mmio_dev *dev)
{
	reg_write(dev, REG_STATUS,
	          STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
}

void virtio_mmio_fail(struct virtio_mmio_dev *dev)
{
	reg_write(dev, REG_STATUS, reg_read(dev, REG_STATUS) | STATUS_FAILED);
}

u32 virtio_mmio_config_read32(struct virtio_mmio_dev *dev, u32 offset)
{
	return reg_read(dev, REG_CONFIG + offset);
}

int virtio_mmio_config_read64(struct virtio_mmio_dev *dev, u32 offset, u64 *out)
{
	/* Retry while the device changes the config under us, but not forever. */
	for (int attempt = 0; attempt < 16; attempt++) {
		u32 before = reg_read(dev, REG_CONFIG_GENERATION);
		u64 low = reg_read(dev, REG_CONFIG + offset);
		u64 high = reg_read(dev, REG_CONFIG + offset + 4);
		if (reg_read(dev, REG_CONFIG_GENERATION) == before) {
			*out = low | (high << 32);
			return 0;
		}
	}
	return -EIO;
}
