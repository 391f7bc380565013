/*
 * blk.c: virtio-blk, read-only, one request at a time, polled.
 *
 * Trust: capacity comes from config space and is checked once here. Data
 * moves through a shared bounce buffer and is copied into the caller's
 * private buffer only after the device reported success; the status byte
 * is read once. Ring values are checked in virtqueue.c. A request that
 * fails in any way marks the disk broken: later reads return -EIO.
 */
#include "drivers/virtio/blk.h"
#include "drivers/virtio/virtio_mmio.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

/* virtio-blk (virtio 1.x, 5.2). */
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_T_IN 0
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

static struct virtio_mmio_dev g_blk_dev;
static u64 g_sector_count;
static bool g_blk_ready;
static bool g_blk_broken;
static struct blk_shared *g_shared;   /* shared with the device */
static u64 g_shared_dma;
static u8 *g_bounce;                  /* shared with the device */
static u64 g_bounce_dma;

static int blk_break(const char *why)
{
	if (!g_blk_broken)
		kprintf("virtio-blk: %s; disk disabled\n", why);
	g_blk_broken = true;
	virtio_mmio_fail(&g_blk_dev);
	return -EIO;
}

int blk_init(void)
{
	int err = virtio_mmio_find(VIRTIO_DEVICE_BLK, &g_blk_dev);
	if (err < 0)
		return err;
	err = virtio_mmio_negotiate(&g_blk_dev, 0, 1ULL << VIRTIO_BLK_F_RO);
	if (err < 0)
		return err;
	err = virtio_mmio_setup_queue(&g_blk_dev, BLK_QUEUE_SIZE);
	if (err < 0)
		return err;

	u64 capacity = 0;
	if (virtio_mmio_config_read64(&g_blk_dev, BLK_CONFIG_CAPACITY, &capacity) < 0)
		return blk_break("config keeps changing");
	if (capacity == 0 || capacity > BLK_MAX_SECTORS)
		return blk_break("implausible capacity");

	g_shared = platform_shared_alloc(PAGE_SIZE, &g_shared_dma);
	g_bounce = platform_shared_alloc(BLK_BOUNCE_SIZE, &g_bounce_dma);
	if (g_shared == NULL || g_bounce == NULL)
		return -ENOMEM;

	g_sector_count = capacity;
	virtio_mmio_driver_ok(&g_blk_dev);
	g_blk_ready = true;
	kprintf("virtio-blk: %llu sectors at %llx\n", (unsigned long long)capacity,
	        (unsigned long long)g_blk_dev.base);
	return 0;
}

u64 blk_sector_count(void)
{
	return g_blk_ready ? g_sector_count : 0;
}

/* Wait for our single request; any completion must be it. */
static int wait_for_completion(void *expected_cookie, u32 *written)
{
	u64 deadline = platform_time_ns() + BLK_TIMEOUT_NS;
	for (;;) {
		void *cookie = NULL;
		int got = vq_poll(&g_blk_dev.vq, &cookie, written);
		if (got < 0)
			return blk_break("device broke a virtqueue rule");
		if (got == 1) {
			if (cookie != expected_cookie)
				return blk_break("unexpected completion");
			return 0;
		}
		if (platform_time_ns() > deadline)
			return blk_break("request timed out");
		__builtin_ia32_pause();
	}
}

/* One request of at most BLK_BOUNCE_SIZE bytes. */
static int read_chunk(u64 lba, u8 *buf, size_t sectors)
{
	u32 size = (u32)(sectors * BLK_SECTOR_SIZE);
	struct vq_buf bufs[3] = {
		{ g_shared_dma + __builtin_offsetof(struct blk_shared, header),
		  sizeof(struct blk_request_header) },
		{ g_bounce_dma, size },
		{ g_shared_dma + __builtin_offsetof(struct blk_shared, status), 1 },
	};

	g_shared->header.type = VIRTIO_BLK_T_IN;
	g_shared->header.reserved = 0;
	g_shared->header.sector = lba;
	g_shared->status = 0xff;

	int err = vq_submit(&g_blk_dev.vq, bufs, 1, 2, g_shared);
	if (err < 0)
		return blk_break("submit failed");
	u32 written = 0;
	err = wait_for_completion(g_shared, &written);
	if (err < 0)
		return err;

	u8 status = *(volatile u8 *)&g_shared->status; /* read once */
	if (status != VIRTIO_BLK_S_OK)
		return blk_break("device reported an error");
	memcpy(buf, g_bounce, size);
	return 0;
}

int blk_read(u64 lba, void *buf, size_t count)
{
	if (!g_blk_ready || g_blk_broken)
		return -EIO;
	if (lba > g_sector_count || count > g_sector_count - lba)
		return -EINVAL;

	u8 *out = buf;
	size_t per_chunk = BLK_BOUNCE_SIZE / BLK_SECTOR_SIZE;
	while (count > 0) {
		size_t n = count < per_chunk ? count : per_chunk;
		int err = read_chunk(lba, out, n);
		if (err < 0)
			return err;
		lba += n;
		out += n * BLK_SECTOR_SIZE;
		count -= n;
	}
	return 0;
}
