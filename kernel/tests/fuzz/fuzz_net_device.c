/*
 * fuzz_net_device.c: the fake virtio-net device's side for the network
 * fuzzers (fuzz_net.h), and the crypto the lwIP port names (a fuzz build
 * needs no real ISN key).
 */
#include <string.h>

#include "fuzz_net.h"
#include "crypto/crypto.h"

bool fuzz_device_rx(struct virtqueue *rxq, u16 *seen, const u8 hdr[VNET_HDR_SIZE],
                    const u8 *frame, u32 len, u32 claimed)
{
	int head = fake_queue_take(rxq, seen);
	if (head < 0)
		return false;
	u8 *buf = fake_dma(rxq->desc[head].addr);
	u32 room = rxq->desc[head].len;
	memcpy(buf, hdr, VNET_HDR_SIZE);
	if (len > room - VNET_HDR_SIZE)
		len = room - VNET_HDR_SIZE;
	memcpy(buf + VNET_HDR_SIZE, frame, len);
	fake_queue_post(rxq, (u32)head, claimed ? claimed : VNET_HDR_SIZE + len);
	return true;
}

void fuzz_device_tx_done(struct virtqueue *txq, u16 *seen)
{
	int head;
	while ((head = fake_queue_take(txq, seen)) >= 0)
		fake_queue_post(txq, (u32)head, 0);
}

void hmac_sha384(const void *key, size_t key_size, const void *data, size_t size,
                 u8 out[SHA384_SIZE])
{
	(void)key;
	(void)key_size;
	memset(out, 0, SHA384_SIZE);
	memcpy(out, data, size < SHA384_SIZE ? size : SHA384_SIZE);
}
