/*
 * fuzz_net_ring.c: the virtio-net driver against a device whose every
 * ring write and header byte comes from the fuzzer: receive completions
 * with any id, length and header, transmit completions with any id and
 * length, interleaved with the driver's sends, receives and interrupt
 * switches. The driver may break the device, but must never return more
 * than VNET_FRAME_MAX bytes or a frame other than the one the device
 * wrote, never work again once broken, and never touch memory it does
 * not own (ASan). A fresh device for every input.
 *
 * Script: repeated u8 op (mod 5): 0 an honest receive of a frame,
 * 1 a receive with fuzzed header, id and length, 2 the driver sends a
 * frame, 3 a transmit completion with fuzzed id and length, 4 the
 * driver flushes and switches interrupts.
 */
#include <string.h>

#include "fuzz_net.h"
#include "syscalls/linux_abi/errno.h"

#define MAX_FRAME 1600

struct rig {
	struct fake_dev fake;
	struct vnet *v;
	u16 rx_seen, tx_seen;
	bool broken;
};

static void check_receive(struct rig *r, const u8 *sent, u32 sent_len, bool honest)
{
	u8 out[VNET_FRAME_MAX];
	long n = vnet_receive(r->v, out, sizeof(out));
	if (r->broken) {
		FUZZ_CHECK(n == -EIO);
		return;
	}
	FUZZ_CHECK(n == -EIO || (n >= 0 && n <= VNET_FRAME_MAX));
	if (n == -EIO) {
		FUZZ_CHECK(!honest);
		r->broken = true;
		FUZZ_CHECK(vnet_is_broken(r->v));
		return;
	}
	if (honest && sent_len >= VNET_FRAME_MIN && sent_len <= VNET_FRAME_MAX) {
		FUZZ_CHECK(n == (long)sent_len);
		FUZZ_CHECK(memcmp(out, sent, sent_len) == 0);
	}
}

static void step(struct rig *r, struct fuzz_in *in)
{
	static const u8 zero_hdr[VNET_HDR_SIZE];
	struct virtqueue *rxq = r->fake.dev.queues[0], *txq = r->fake.dev.queues[1];
	u8 frame[MAX_FRAME];
	u8 op = (u8)(fuzz_take(in, 1) % 5);
	u32 len = fuzz_take(in, 2) % MAX_FRAME;
	for (u32 i = 0; i < len && i < 64; i++)
		frame[i] = (u8)fuzz_take(in, 1);
	for (u32 i = 64; i < len; i++)
		frame[i] = (u8)i;
	if (op == 0 && !r->broken) {
		if (fuzz_device_rx(rxq, &r->rx_seen, zero_hdr, frame, len, 0))
			check_receive(r, frame, MIN(len, 2048 - VNET_HDR_SIZE), true);
	} else if (op == 1) {
		u8 hdr[VNET_HDR_SIZE];
		for (u32 i = 0; i < VNET_HDR_SIZE; i++)
			hdr[i] = (u8)fuzz_take(in, 1);
		int head = fake_queue_take(rxq, &r->rx_seen);
		u32 id = head >= 0 && fuzz_take(in, 1) % 4 ? (u32)head : fuzz_take(in, 2);
		if (head >= 0)
			memcpy(fake_dma(rxq->desc[head].addr), hdr, VNET_HDR_SIZE);
		fake_queue_post(rxq, id, fuzz_take(in, 2));
		check_receive(r, frame, len, false);
	} else if (op == 2) {
		struct vnet_seg seg = { frame, len };
		int err = vnet_transmit(r->v, &seg, 1);
		FUZZ_CHECK(!r->broken || err == -EIO);
		FUZZ_CHECK(err == 0 || err == -EAGAIN || err == -EMSGSIZE || err == -EIO);
		if (err == -EIO)
			r->broken = true;
	} else if (op == 3) {
		int head = fake_queue_take(txq, &r->tx_seen);
		u32 id = head >= 0 && fuzz_take(in, 1) % 4 ? (u32)head : fuzz_take(in, 2);
		fake_queue_post(txq, id, fuzz_take(in, 1) % 4 ? 0 : fuzz_take(in, 2));
	} else {
		vnet_flush(r->v);
		vnet_rx_interrupts(r->v, fuzz_take(in, 1) & 1);
		r->broken = r->broken || vnet_is_broken(r->v);
	}
	FUZZ_CHECK(!r->broken || vnet_is_broken(r->v)); /* broken for good */
	r->broken = vnet_is_broken(r->v);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	struct rig *r = calloc(1, sizeof(*r));
	fake_virtio_init(&r->fake, VIRTIO_DEVICE_NET, 5);
	r->fake.queue_max[0] = r->fake.queue_max[1] = 1u << (fuzz_take(&in, 1) % 7); /* 1..64 */
	if (fuzz_take(&in, 1) & 1) {  /* a MAC from the device, any bytes */
		r->fake.offered |= 1ULL << 5;
		for (int i = 0; i < 6; i++)
			r->fake.config[i] = (u8)fuzz_take(&in, 1);
	}
	FUZZ_CHECK(vnet_attach(&r->fake.dev, &r->v) == 0);
	u8 mac[VNET_MAC_SIZE];
	vnet_mac(r->v, mac);
	FUZZ_CHECK((mac[0] & 1) == 0);  /* never a multicast MAC */
	for (int i = 0; i < 200 && fuzz_left(&in); i++)
		step(r, &in);
	vnet_release(r->v);
	free(r);
	return 0;
}
