/*
 * blk.c: virtio-blk, one request at a time per disk, polled.
 *
 * Trust: capacity comes from config space and is checked once here. Data
 * moves through a shared bounce buffer and is copied into the caller's
 * private buffer only after the device reported success; the status byte
 * is read once. Ring values are checked in virtqueue.c. A request that
 * fails in any way marks the disk broken: later reads return -EIO.
 */
#include "drivers/virtio/blk.h"
#include "drivers/virtio/virtio.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

/* virtio-blk (virtio 1.x, 5.2). */
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0
#define BLK_CONFIG_CAPACITY 0

#define BLK_QUEUE_SIZE 16
#define BLK_BOUNCE_SIZE (64 * 1024)
#define BLK_MAX_SECTORS (1ULL << 40) /* 512 TiB: anything larger is a lie */
#define BLK_TIMEOUT_NS (30ULL * 1000 * 1000 * 1000)

struct blk_request_header {
	u32 type;
	u32 reserved;
	u64 sector;
};

/* The shared page: request header and status byte. */
struct blk_shared {
	struct blk_request_header header;
	u8 status;
};

struct blk_disk {
	struct virtio_dev *dev;
	struct virtqueue *vq;
	u64 sector_count;
	bool broken;
	struct blk_shared *shared;   /* shared with the device */
	u64 shared_dma;
	u8 *bounce;                  /* shared with the device */
	u64 bounce_dma;
};

static int blk_break(struct blk_disk *disk, const char *why)
{
	if (!disk->broken)
		kprintf("virtio-blk: %s: %s; disk disabled\n", disk->dev->name, why);
	disk->broken = true;
	virtio_fail(disk->dev);
	return -EIO;
}

static int blk_setup(struct blk_disk *disk)
{
	int err = virtio_negotiate(disk->dev, 0,
	                           (1ULL << VIRTIO_BLK_F_RO) | (1ULL << VIRTIO_BLK_F_FLUSH));
	if (err < 0)
		return err;
	disk->vq = virtio_queue_setup(disk->dev, 0, BLK_QUEUE_SIZE);
	if (disk->vq == NULL)
		return -EIO;

	u64 capacity = 0;
	if (virtio_config_read(disk->dev, BLK_CONFIG_CAPACITY, &capacity, sizeof(capacity)) < 0)
		return blk_break(disk, "config keeps changing");
	if (capacity == 0 || capacity > BLK_MAX_SECTORS)
		return blk_break(disk, "implausible capacity");

	disk->shared = platform_shared_alloc(PAGE_SIZE, &disk->shared_dma);
	disk->bounce = platform_shared_alloc(BLK_BOUNCE_SIZE, &disk->bounce_dma);
	if (disk->shared == NULL || disk->bounce == NULL)
		return -ENOMEM;

	disk->sector_count = capacity;
	virtio_driver_ok(disk->dev);
	kprintf("virtio-blk: %llu sectors at %s\n", (unsigned long long)capacity,
	        disk->dev->name);
	return 0;
}

int blk_probe(struct blk_disk **out)
{
	struct virtio_dev *dev = virtio_claim(VIRTIO_DEVICE_BLK);
	if (dev == NULL)
		return -ENODEV;
	struct blk_disk *disk = kzalloc(sizeof(*disk));
	if (disk == NULL)
		return -ENOMEM;
	disk->dev = dev;
	int err = blk_setup(disk);
	if (err < 0) {
		/* The device stays claimed and failed; its memory stays with it. */
		disk->broken = true;
		return err;
	}
	*out = disk;
	return 0;
}

u64 blk_sector_count(const struct blk_disk *disk)
{
	return disk->sector_count;
}

/* Wait for the disk's single request; any completion must be it. */
static int wait_for_completion(struct blk_disk *disk, void *expected_cookie, u32 *written)
{
	u64 deadline = platform_time_ns() + BLK_TIMEOUT_NS;
	for (;;) {
		void *cookie = NULL;
		int got = vq_poll(disk->vq, &cookie, written);
		if (got < 0)
			return blk_break(disk, "device broke a virtqueue rule");
		if (got == 1) {
			if (cookie != expected_cookie)
				return blk_break(disk, "unexpected completion");
			return 0;
		}
		if (platform_time_ns() > deadline)
			return blk_break(disk, "request timed out");
		__builtin_ia32_pause();
	}
}

/* One request: type, at lba, moving size bytes (at most BLK_BOUNCE_SIZE)
 * through the bounce buffer: device-writable for reads, device-readable
 * for writes, none for a flush. */
static int request(struct blk_disk *disk, u32 type, u64 lba, u32 size)
{
	struct vq_buf bufs[3];
	u16 out = 0, in = 0;
	bufs[out++] = (struct vq_buf){ disk->shared_dma + __builtin_offsetof(struct blk_shared, header),
	                               sizeof(struct blk_request_header) };
	if (type == VIRTIO_BLK_T_OUT)
		bufs[out++] = (struct vq_buf){ disk->bounce_dma, size };
	else if (type == VIRTIO_BLK_T_IN)
		bufs[out + in++] = (struct vq_buf){ disk->bounce_dma, size };
	bufs[out + in++] = (struct vq_buf){ disk->shared_dma + __builtin_offsetof(struct blk_shared, status), 1 };

	disk->shared->header.type = type;
	disk->shared->header.reserved = 0;
	disk->shared->header.sector = lba;
	disk->shared->status = 0xff;

	int err = vq_submit(disk->vq, bufs, out, in, disk->shared);
	if (err < 0)
		return blk_break(disk, "submit failed");
	u32 written = 0;
	err = wait_for_completion(disk, disk->shared, &written);
	if (err < 0)
		return err;

	u8 status = *(volatile u8 *)&disk->shared->status; /* read once */
	if (status != VIRTIO_BLK_S_OK)
		return blk_break(disk, "device reported an error");
	return 0;
}

static int read_chunk(struct blk_disk *disk, u64 lba, u8 *buf, size_t sectors)
{
	u32 size = (u32)(sectors * BLK_SECTOR_SIZE);
	int err = request(disk, VIRTIO_BLK_T_IN, lba, size);
	if (err < 0)
		return err;
	memcpy(buf, disk->bounce, size);
	return 0;
}

static int write_chunk(struct blk_disk *disk, u64 lba, const u8 *buf, size_t sectors)
{
	u32 size = (u32)(sectors * BLK_SECTOR_SIZE);
	memcpy(disk->bounce, buf, size);
	return request(disk, VIRTIO_BLK_T_OUT, lba, size);
}

/* Move count sectors at lba in requests of at most the bounce size. */
static int transfer(struct blk_disk *disk, u64 lba, u8 *buf, size_t count, bool write)
{
	if (disk->broken)
		return -EIO;
	if (write && blk_read_only(disk))
		return -EROFS;
	if (lba > disk->sector_count || count > disk->sector_count - lba)
		return -EINVAL;
	size_t per_chunk = BLK_BOUNCE_SIZE / BLK_SECTOR_SIZE;
	while (count > 0) {
		size_t n = count < per_chunk ? count : per_chunk;
		int err = write ? write_chunk(disk, lba, buf, n) : read_chunk(disk, lba, buf, n);
		if (err < 0)
			return err;
		lba += n;
		buf += n * BLK_SECTOR_SIZE;
		count -= n;
	}
	return 0;
}

bool blk_read_only(const struct blk_disk *disk)
{
	return virtio_has_feature(disk->dev, VIRTIO_BLK_F_RO);
}

int blk_read(struct blk_disk *disk, u64 lba, void *buf, size_t count)
{
	return transfer(disk, lba, buf, count, false);
}

int blk_write(struct blk_disk *disk, u64 lba, const void *buf, size_t count)
{
	return transfer(disk, lba, (u8 *)buf, count, true); /* only read from */
}

int blk_flush(struct blk_disk *disk)
{
	if (disk->broken)
		return -EIO;
	if (!virtio_has_feature(disk->dev, VIRTIO_BLK_F_FLUSH))
		return 0; /* no volatile write cache: a completed write is durable */
	return request(disk, VIRTIO_BLK_T_FLUSH, 0, 0);
}
