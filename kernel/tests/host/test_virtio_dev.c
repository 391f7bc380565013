/*
 * test_virtio_dev.c: the device layer (drivers/virtio/virtio.c) against
 * fake transports that lie: missing features, refused FEATURES_OK,
 * absent or refused queues, a config generation that never settles,
 * unknown interrupt bits. Several devices of one type are claimed in
 * bus order (fake_virtio.c stands in for the bus and shared memory).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fake_virtio.h"
#include "drivers/virtio/virtio_mmio.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

#define FAKE_COUNT 4
static struct fake_dev *g_fakes[FAKE_COUNT];
static const u32 g_fake_types[FAKE_COUNT] = {
	VIRTIO_DEVICE_BLK, VIRTIO_DEVICE_NET, VIRTIO_DEVICE_NET, VIRTIO_DEVICE_BLK,
};

/* Claimed before any test runs; the tests use the fakes directly. */
static struct virtio_dev *g_blk0, *g_net0, *g_net1, *g_blk1;

static void claim_all(void)
{
	for (int i = 0; i < FAKE_COUNT; i++)
		g_fakes[i] = fake_virtio_add(g_fake_types[i]);
	g_blk0 = virtio_claim(VIRTIO_DEVICE_BLK);
	g_net0 = virtio_claim(VIRTIO_DEVICE_NET);
	g_net1 = virtio_claim(VIRTIO_DEVICE_NET);
	g_blk1 = virtio_claim(VIRTIO_DEVICE_BLK);
}

static void test_claim_in_bus_order(void)
{
	CHECK(g_blk0 == &g_fakes[0]->dev);
	CHECK(g_net0 == &g_fakes[1]->dev);
	CHECK(g_net1 == &g_fakes[2]->dev);
	CHECK(g_blk1 == &g_fakes[3]->dev);
	CHECK(virtio_claim(VIRTIO_DEVICE_NET) == NULL);
	CHECK(virtio_claim(VIRTIO_DEVICE_BLK) == NULL);
	CHECK(virtio_claim(99) == NULL);
	virtio_scan(); /* a second scan registers nothing twice */
	CHECK(virtio_claim(VIRTIO_DEVICE_BLK) == NULL);
	CHECK_EQ(g_net1->irq, VIRTIO_MMIO_IRQ_BASE + 2);
}

static void test_negotiate_allowlist(void)
{
	struct fake_dev *f = g_fakes[1];
	f->offered = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << 5) | (1ULL << 16) | (1ULL << 40);
	CHECK_EQ(virtio_negotiate(&f->dev, 1ULL << 5, (1ULL << 16) | (1ULL << 17)), 0);
	/* required + offered optional only; bit 40 was offered, never asked. */
	CHECK_EQ(f->accepted, (1ULL << VIRTIO_F_VERSION_1) | (1ULL << 5) | (1ULL << 16));
	CHECK(virtio_has_feature(&f->dev, 16));
	CHECK(!virtio_has_feature(&f->dev, 17));
	CHECK(!virtio_has_feature(&f->dev, 40));
	CHECK(f->status & VIRTIO_STATUS_FEATURES_OK);
	virtio_driver_ok(&f->dev);
	CHECK(f->status & VIRTIO_STATUS_DRIVER_OK);
}

static void test_negotiate_missing_feature(void)
{
	struct fake_dev *f = g_fakes[2];
	f->offered = 1ULL << 5; /* no VERSION_1: a legacy device */
	CHECK_EQ(virtio_negotiate(&f->dev, 0, 0), -EIO);
	CHECK(f->status & VIRTIO_STATUS_FAILED);
	f->dev.failed = false;
	f->offered = 1ULL << VIRTIO_F_VERSION_1;
	CHECK_EQ(virtio_negotiate(&f->dev, 1ULL << 5, 0), -EIO);
	f->dev.failed = false;
}

static void test_negotiate_refused(void)
{
	struct fake_dev *f = g_fakes[2];
	f->offered = 1ULL << VIRTIO_F_VERSION_1;
	f->refuse_features_ok = true;
	CHECK_EQ(virtio_negotiate(&f->dev, 0, 0), -EIO);
	CHECK(f->status & VIRTIO_STATUS_FAILED);
	f->refuse_features_ok = false;
	f->dev.failed = false;
}

static void test_queue_sizes(void)
{
	struct fake_dev *f = g_fakes[0];
	f->queue_max[0] = 100;  /* not a power of two */
	f->queue_max[1] = 1024; /* more than we ever use */
	f->queue_max[2] = 0;    /* no such queue */
	struct virtqueue *q0 = virtio_queue_setup(&f->dev, 0, 256);
	struct virtqueue *q1 = virtio_queue_setup(&f->dev, 1, 256);
	CHECK(q0 != NULL && q1 != NULL);
	CHECK_EQ(f->queue_size[0], 64);
	CHECK_EQ(f->queue_size[1], 256);
	CHECK(virtio_queue_setup(&f->dev, 2, 16) == NULL);
	CHECK(virtio_queue_setup(&f->dev, 0, 16) == NULL); /* already set up */
	CHECK(virtio_queue_setup(&f->dev, VIRTIO_MAX_QUEUES, 16) == NULL);
	CHECK(virtio_queue_setup(&f->dev, 3, 0) == NULL);
	/* Queues notify through their own index. */
	struct vq_buf buf = { 0x1000, 8 };
	CHECK_EQ(vq_submit(q1, &buf, 1, 0, NULL), 0);
	CHECK_EQ(f->notified[1], 1);
	CHECK_EQ(q1->index, 1);
	virtio_reset(&f->dev);
	CHECK_EQ(f->status, 0);
	CHECK(f->dev.queues[0] == NULL && f->dev.queues[1] == NULL);
}

static void test_queue_refused(void)
{
	struct fake_dev *f = g_fakes[3];
	f->refuse_queue = true;
	CHECK(virtio_queue_setup(&f->dev, 0, 16) == NULL); /* and nothing leaks */
	CHECK(f->dev.queues[0] == NULL);
	f->refuse_queue = false;
}

static void test_config_natural_widths(void)
{
	struct fake_dev *f = g_fakes[1];
	for (int i = 0; i < 64; i++)
		f->config[i] = (u8)(i + 1);
	u8 mac[6];
	f->config_reads = 0;
	CHECK_EQ(virtio_config_read(&f->dev, 0, mac, 6), 0);
	CHECK_EQ(f->config_reads, 2);
	CHECK_EQ(f->config_widths[0], 4);
	CHECK_EQ(f->config_widths[1], 2);
	CHECK_EQ(mac[0], 1);
	CHECK_EQ(mac[5], 6);

	u16 status;
	f->config_reads = 0;
	CHECK_EQ(virtio_config_read(&f->dev, 6, &status, 2), 0);
	CHECK_EQ(f->config_widths[0], 2);
	CHECK_EQ(status, 0x0807);

	u64 capacity;
	f->config_reads = 0;
	CHECK_EQ(virtio_config_read(&f->dev, 8, &capacity, 8), 0);
	CHECK_EQ(f->config_reads, 2);
	CHECK_EQ(capacity, 0x100f0e0d0c0b0a09ULL);

	u8 odd[3];
	f->config_reads = 0;
	CHECK_EQ(virtio_config_read(&f->dev, 1, odd, 3), 0);
	CHECK_EQ(f->config_widths[0], 1);
	CHECK_EQ(f->config_widths[1], 2);
	CHECK_EQ(odd[2], 4);

	CHECK_EQ(virtio_config_read(&f->dev, 0, odd, 0), -EINVAL);
	CHECK_EQ(virtio_config_read(&f->dev, 255, odd, 2), -EINVAL);
	CHECK_EQ(virtio_config_read(&f->dev, 0xfffffffe, odd, 3), -EINVAL);
}

static void test_config_generation(void)
{
	struct fake_dev *f = g_fakes[1];
	u64 value = 0;
	f->generation_bumps = 3; /* settles after a few tries */
	CHECK_EQ(virtio_config_read(&f->dev, 8, &value, 8), 0);
	CHECK_EQ(value, 0x100f0e0d0c0b0a09ULL);
	f->generation_bumps = 1000000; /* never settles */
	value = 1;
	CHECK_EQ(virtio_config_read(&f->dev, 8, &value, 8), -EIO);
	CHECK_EQ(value, 0); /* no torn value escapes */
	f->generation_bumps = 0;
}

static void test_irq_ack_masks(void)
{
	struct fake_dev *f = g_fakes[1];
	f->irq_status = 0xffffffffu;
	CHECK_EQ(virtio_irq_ack(&f->dev), VIRTIO_IRQ_QUEUE | VIRTIO_IRQ_CONFIG);
	CHECK_EQ(virtio_irq_ack(&f->dev), 0);
}

static void test_fail_once(void)
{
	struct fake_dev *f = g_fakes[3];
	f->status = VIRTIO_STATUS_DRIVER_OK;
	virtio_fail(&f->dev);
	CHECK_EQ(f->status, VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED);
	f->status = 0;
	virtio_fail(&f->dev); /* already failed: no more register writes */
	CHECK_EQ(f->status, 0);
}

static const struct host_test g_tests[] = {
	{ "claim_in_bus_order", test_claim_in_bus_order },
	{ "negotiate_allowlist", test_negotiate_allowlist },
	{ "negotiate_missing_feature", test_negotiate_missing_feature },
	{ "negotiate_refused", test_negotiate_refused },
	{ "queue_sizes", test_queue_sizes },
	{ "queue_refused", test_queue_refused },
	{ "config_natural_widths", test_config_natural_widths },
	{ "config_generation", test_config_generation },
	{ "irq_ack_masks", test_irq_ack_masks },
	{ "fail_once", test_fail_once },
};

int main(int argc, char **argv)
{
	claim_all();
	/* argv[1] is the golden directory (unused here); argv[2] a test name. */
	return run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])),
	                 argc > 1 ? argc - 1 : argc, argc > 1 ? argv + 1 : argv);
}
