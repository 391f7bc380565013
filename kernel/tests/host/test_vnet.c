/*
 * test_vnet.c: the virtio-net driver (drivers/virtio/net.c) against a
 * fake device: honest frames go through byte for byte; runts and giants
 * are dropped; a completion shorter than its header or a header with
 * offloads never negotiated breaks the device for good; transmit
 * gathers segments into one shared buffer and reports -EAGAIN, not a
 * hang, when every buffer is in flight.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fake_virtio.h"
#include "drivers/virtio/net.h"
#include "syscalls/linux_abi/errno.h"

#define VIRTIO_NET_F_MAC 5

/* A device, once attached, lives for the whole boot (its shared memory
 * may still be written by the host), so the driver frees nothing; the
 * rigs stay reachable from here, as they would in the kernel. */
static struct vnet *g_attached[VIRTIO_MAX_DEVICES];
static int g_attached_count;
#define QSIZE 16

struct rig {
	struct fake_dev *fake;
	struct vnet *v;
	struct virtqueue *rxq, *txq;
	u16 rx_seen, tx_seen;
};

static void rig_up(struct rig *r, const u8 mac[6])
{
	memset(r, 0, sizeof(*r));
	r->fake = fake_virtio_add(VIRTIO_DEVICE_NET);
	for (int q = 0; q < VIRTIO_MAX_QUEUES; q++)
		r->fake->queue_max[q] = QSIZE;
	if (mac) {
		r->fake->offered |= 1ULL << VIRTIO_NET_F_MAC;
		memcpy(r->fake->config, mac, 6);
	}
	CHECK_EQ(vnet_probe(&r->v), 0);
	g_attached[g_attached_count++] = r->v;
	r->rxq = r->fake->dev.queues[0];
	r->txq = r->fake->dev.queues[1];
}

/* The device writes header + frame into the next receive buffer. */
static void device_rx(struct rig *r, const void *hdr, const void *frame, u32 frame_len,
                      u32 claimed_len)
{
	int head = fake_queue_take(r->rxq, &r->rx_seen);
	CHECK(head >= 0);
	if (head < 0)
		return;
	u8 *buf = fake_dma(r->rxq->desc[head].addr);
	u32 room = r->rxq->desc[head].len;
	u8 zero[VNET_HDR_SIZE] = { 0 };
	memcpy(buf, hdr ? hdr : zero, VNET_HDR_SIZE);
	if (frame_len > room - VNET_HDR_SIZE)
		frame_len = room - VNET_HDR_SIZE;
	memcpy(buf + VNET_HDR_SIZE, frame, frame_len);
	fake_queue_post(r->rxq, (u32)head, claimed_len);
}

static void test_attach(void)
{
	const u8 mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct rig r;
	rig_up(&r, mac);
	u8 got[6];
	vnet_mac(r.v, got);
	CHECK(memcmp(got, mac, 6) == 0);
	CHECK_EQ(r.rxq->avail->idx, QSIZE);  /* every receive buffer posted */
	CHECK_EQ(r.fake->notified[0], 1);    /* in one notification */
	CHECK(r.fake->status & VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(vnet_irq(r.v), r.fake->dev.irq);
}

static void test_bad_mac_replaced(void)
{
	const u8 multicast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	struct rig r;
	rig_up(&r, multicast);
	u8 got[6];
	vnet_mac(r.v, got);
	CHECK_EQ(got[0] & 1, 0);    /* unicast */
	CHECK_EQ(got[0] & 2, 2);    /* locally administered */
	rig_up(&r, NULL);           /* no MAC offered at all */
	vnet_mac(r.v, got);
	CHECK_EQ(got[0] & 3, 2);
}

static void test_receive_frames(void)
{
	struct rig r;
	rig_up(&r, NULL);
	u8 frame[1600], out[VNET_FRAME_MAX];
	for (int i = 0; i < 1600; i++)
		frame[i] = (u8)(i * 7);
	CHECK_EQ(vnet_receive(r.v, out, sizeof(out)), 0);
	device_rx(&r, NULL, frame, 60, VNET_HDR_SIZE + 60);
	device_rx(&r, NULL, frame, 10, VNET_HDR_SIZE + 10);                 /* runt */
	device_rx(&r, NULL, frame, 1600, VNET_HDR_SIZE + 1600);             /* giant */
	device_rx(&r, NULL, frame, VNET_FRAME_MAX, VNET_HDR_SIZE + VNET_FRAME_MAX);
	u16 posted = r.rxq->avail->idx;
	CHECK_EQ(vnet_receive(r.v, out, sizeof(out)), 60);
	CHECK(memcmp(out, frame, 60) == 0);
	CHECK_EQ(vnet_receive(r.v, out, sizeof(out)), VNET_FRAME_MAX);
	CHECK(memcmp(out, frame, VNET_FRAME_MAX) == 0);
	CHECK_EQ(vnet_receive(r.v, out, sizeof(out)), 0);
	CHECK_EQ(vnet_stats(r.v)->rx_frames, 2);
	CHECK_EQ(vnet_stats(r.v)->rx_dropped, 2);
	CHECK_EQ((u16)(r.rxq->avail->idx - posted), 4); /* all four reposted */
	vnet_flush(r.v);
	CHECK(!vnet_is_broken(r.v));
	CHECK_EQ(vnet_receive(r.v, out, 100), -EINVAL);     /* caller's buffer too small */
}

static void expect_broken_by(const void *hdr, u32 claimed_len)
{
	struct rig r;
	rig_up(&r, NULL);
	u8 frame[64] = { 0 }, out[VNET_FRAME_MAX];
	device_rx(&r, hdr, frame, sizeof(frame), claimed_len);
	CHECK_EQ(vnet_receive(r.v, out, sizeof(out)), -EIO);
	CHECK(vnet_is_broken(r.v));
	CHECK(r.fake->status & VIRTIO_STATUS_FAILED);
	/* Never trusted again. */
	CHECK_EQ(vnet_receive(r.v, out, sizeof(out)), -EIO);
	struct vnet_seg seg = { frame, sizeof(frame) };
	CHECK_EQ(vnet_transmit(r.v, &seg, 1), -EIO);
}

static void test_rule_violations(void)
{
	u8 hdr[VNET_HDR_SIZE];
	expect_broken_by(NULL, VNET_HDR_SIZE - 1);          /* shorter than the header */
	expect_broken_by(NULL, 2049);                       /* more than offered */
	memset(hdr, 0, sizeof(hdr));
	hdr[0] = 1;                                         /* NEEDS_CSUM */
	expect_broken_by(hdr, VNET_HDR_SIZE + 64);
	memset(hdr, 0, sizeof(hdr));
	hdr[1] = 1;                                         /* GSO TCPv4 */
	expect_broken_by(hdr, VNET_HDR_SIZE + 64);
	memset(hdr, 0, sizeof(hdr));
	hdr[10] = 2;                                        /* two merged buffers */
	expect_broken_by(hdr, VNET_HDR_SIZE + 64);
}

static void test_num_buffers_one_accepted(void)
{
	struct rig r;
	rig_up(&r, NULL);
	u8 hdr[VNET_HDR_SIZE] = { 0 }, frame[64] = { 0 }, out[VNET_FRAME_MAX];
	hdr[10] = 1;
	device_rx(&r, hdr, frame, 64, VNET_HDR_SIZE + 64);
	CHECK_EQ(vnet_receive(r.v, out, sizeof(out)), 64);
}

static void test_transmit(void)
{
	struct rig r;
	rig_up(&r, NULL);
	u8 a[14], b[100], c[7];
	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	memset(c, 0xcc, sizeof(c));
	struct vnet_seg segs[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } };
	CHECK_EQ(vnet_transmit(r.v, segs, 3), 0);
	vnet_flush(r.v);
	CHECK_EQ(r.fake->notified[1], 1);
	int head = fake_queue_take(r.txq, &r.tx_seen);
	CHECK(head >= 0);
	CHECK_EQ(r.txq->desc[head].len, VNET_HDR_SIZE + 121);
	CHECK_EQ(r.txq->desc[head].flags, 0);               /* device-readable, one piece */
	u8 *buf = fake_dma(r.txq->desc[head].addr);
	u8 zero[VNET_HDR_SIZE] = { 0 };
	CHECK(memcmp(buf, zero, VNET_HDR_SIZE) == 0);
	CHECK(memcmp(buf + VNET_HDR_SIZE, a, 14) == 0);
	CHECK(memcmp(buf + VNET_HDR_SIZE + 14, b, 100) == 0);
	CHECK(memcmp(buf + VNET_HDR_SIZE + 114, c, 7) == 0);

	struct vnet_seg tiny = { a, 10 };
	CHECK_EQ(vnet_transmit(r.v, &tiny, 1), -EMSGSIZE);
	u8 big[VNET_FRAME_MAX + 1];
	struct vnet_seg huge = { big, sizeof(big) };
	CHECK_EQ(vnet_transmit(r.v, &huge, 1), -EMSGSIZE);
	CHECK(!vnet_is_broken(r.v));
}

static void test_transmit_full_then_reclaim(void)
{
	struct rig r;
	rig_up(&r, NULL);
	u8 frame[60] = { 0 };
	struct vnet_seg seg = { frame, sizeof(frame) };
	for (int i = 0; i < QSIZE; i++)
		CHECK_EQ(vnet_transmit(r.v, &seg, 1), 0);
	CHECK_EQ(vnet_transmit(r.v, &seg, 1), -EAGAIN);
	CHECK_EQ(vnet_stats(r.v)->tx_busy, 1);
	int head = fake_queue_take(r.txq, &r.tx_seen);
	fake_queue_post(r.txq, (u32)head, 0);
	CHECK_EQ(vnet_transmit(r.v, &seg, 1), 0);
	/* A transmit completion that claims written bytes breaks the device. */
	head = fake_queue_take(r.txq, &r.tx_seen);
	fake_queue_post(r.txq, (u32)head, 1);
	vnet_flush(r.v);
	CHECK(vnet_is_broken(r.v));
}

static void test_rx_interrupts(void)
{
	struct rig r;
	rig_up(&r, NULL);
	CHECK(!vnet_rx_interrupts(r.v, true));
	CHECK_EQ(r.rxq->avail->flags, 0);
	u8 frame[64] = { 0 };
	device_rx(&r, NULL, frame, 64, VNET_HDR_SIZE + 64);
	CHECK(vnet_rx_interrupts(r.v, true));   /* a frame already waits: do not sleep */
	CHECK(!vnet_rx_interrupts(r.v, false));
	CHECK_EQ(r.rxq->avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
	r.fake->irq_status = VIRTIO_IRQ_QUEUE;
	vnet_irq_ack(r.v);
	CHECK_EQ(r.fake->irq_status, 0);
}

static const struct host_test g_tests[] = {
	{ "attach", test_attach },
	{ "bad_mac_replaced", test_bad_mac_replaced },
	{ "receive_frames", test_receive_frames },
	{ "rule_violations", test_rule_violations },
	{ "num_buffers_one_accepted", test_num_buffers_one_accepted },
	{ "transmit", test_transmit },
	{ "transmit_full_then_reclaim", test_transmit_full_then_reclaim },
	{ "rx_interrupts", test_rx_interrupts },
};

int main(int argc, char **argv)
{
	/* argv[1] is the golden directory (unused here); argv[2] a test name. */
	return run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])),
	                 argc > 1 ? argc - 1 : argc, argc > 1 ? argv + 1 : argv);
}
