/*
 * blk.c: virtio-blk, polled: one request at a time per disk, plus at
 * most one read-ahead the caller collects later (so that the device reads
 * the next blocks while the kernel decrypts the last ones).
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

/* One request's header and status byte, in the shared page. */
struct blk_shared {
	struct blk_request_header header;
	u8 status;
};

/* The shared page holds two: the waited-for request and the read-ahead. */
enum { SLOT_SYNC, SLOT_AHEAD, SLOT_COUNT };

enum ahead_state { AHEAD_NONE, AHEAD_SUBMITTED, AHEAD_COMPLETED };

struct blk_disk {
	struct virtio_dev *dev;
	struct virtqueue *vq;
	u64 sector_count;
	bool broken;
	struct blk_shared *shared;   /* SLOT_COUNT slots, shared with the device */
	u64 shared_dma;
	u8 *bounce;                  /* shared with the device */
	u64 bounce_dma;
	u8 *ahead_bounce;            /* the read-ahead's, shared with the device */
	u64 ahead_bounce_dma;
	enum ahead_state ahead;
	u32 ahead_size;              /* bytes the read-ahead asked for */
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
	disk->ahead_bounce = platform_shared_alloc(BLK_BOUNCE_SIZE, &disk->ahead_bounce_dma);
	if (disk->shared == NULL || disk->bounce == NULL || disk->ahead_bounce == NULL)
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

/* Wait until the request of slot `want` completes. The only other
 * completion allowed meanwhile is the read-ahead's, which is noted. */
static int wait_for_completion(struct blk_disk *disk, struct blk_shared *want)
{
	u64 deadline = platform_time_ns() + BLK_TIMEOUT_NS;
	for (;;) {
		void *cookie = NULL;
		u32 written = 0;
		int got = vq_poll(disk->vq, &cookie, &written);
		if (got < 0)
			return blk_break(disk, "device broke a virtqueue rule");
		if (got == 1) {
			if (cookie == &disk->shared[SLOT_AHEAD] && disk->ahead == AHEAD_SUBMITTED)
				disk->ahead = AHEAD_COMPLETED;
			else if (cookie != &disk->shared[SLOT_SYNC] || want != cookie)
				return blk_break(disk, "unexpected completion");
			if (cookie == want)
				return 0;
			continue;
		}
		if (platform_time_ns() > deadline)
			return blk_break(disk, "request timed out");
		__builtin_ia32_pause();
	}
}

/* Fill in slot's header and queue a request moving size bytes (at most
 * BLK_BOUNCE_SIZE) through the bounce buffer at dma: device-writable for
 * reads, device-readable for writes, none for a flush. */
static int submit(struct blk_disk *disk, struct blk_shared *slot, u32 type, u64 lba,
                  u64 dma, u32 size)
{
	u64 slot_dma = disk->shared_dma + (u64)((u8 *)slot - (u8 *)disk->shared);
	struct vq_buf bufs[3];
	u16 out = 0, in = 0;
	bufs[out++] = (struct vq_buf){ slot_dma + __builtin_offsetof(struct blk_shared, header),
	                               sizeof(struct blk_request_header) };
	if (type == VIRTIO_BLK_T_OUT)
		bufs[out++] = (struct vq_buf){ dma, size };
	else if (type == VIRTIO_BLK_T_IN)
		bufs[out + in++] = (struct vq_buf){ dma, size };
	bufs[out + in++] = (struct vq_buf){ slot_dma + __builtin_offsetof(struct blk_shared, status), 1 };

	slot->header.type = type;
	slot->header.reserved = 0;
	slot->header.sector = lba;
	slot->status = 0xff;

	if (vq_submit(disk->vq, bufs, out, in, slot) < 0)
		return blk_break(disk, "submit failed");
	return 0;
}

static int check_status(struct blk_disk *disk, struct blk_shared *slot)
{
	u8 status = *(volatile u8 *)&slot->status; /* read once */
	if (status != VIRTIO_BLK_S_OK)
		return blk_break(disk, "device reported an error");
	return 0;
}

/* One request through the main bounce buffer, waited for. */
static int request(struct blk_disk *disk, u32 type, u64 lba, u32 size)
{
	struct blk_shared *slot = &disk->shared[SLOT_SYNC];
	int err = submit(disk, slot, type, lba, disk->bounce_dma, size);
	if (err == 0)
		err = wait_for_completion(disk, slot);
	if (err == 0)
		err = check_status(disk, slot);
	return err;
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

int blk_read_ahead_start(struct blk_disk *disk, u64 lba, size_t count)
{
	if (disk->broken)
		return -EIO;
	if (disk->ahead != AHEAD_NONE)
		return -EBUSY;
	if (count == 0 || count > BLK_BOUNCE_SIZE / BLK_SECTOR_SIZE || lba > disk->sector_count ||
	    count > disk->sector_count - lba)
		return -EINVAL;
	u32 size = (u32)(count * BLK_SECTOR_SIZE);
	int err = submit(disk, &disk->shared[SLOT_AHEAD], VIRTIO_BLK_T_IN, lba,
	                 disk->ahead_bounce_dma, size);
	if (err < 0)
		return err;
	disk->ahead = AHEAD_SUBMITTED;
	disk->ahead_size = size;
	return 0;
}

int blk_read_ahead_finish(struct blk_disk *disk, void *buf)
{
	if (disk->ahead == AHEAD_NONE)
		return -EINVAL;
	struct blk_shared *slot = &disk->shared[SLOT_AHEAD];
	int err = disk->broken ? -EIO : 0;
	if (err == 0 && disk->ahead == AHEAD_SUBMITTED)
		err = wait_for_completion(disk, slot);
	/* Broken or not, the device is done with the buffer or never will be. */
	disk->ahead = AHEAD_NONE;
	if (err == 0)
		err = check_status(disk, slot);
	if (err == 0 && buf != NULL)
		memcpy(buf, disk->ahead_bounce, disk->ahead_size);
	return err;
}
