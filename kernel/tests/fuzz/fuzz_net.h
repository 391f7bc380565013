/*
 * fuzz_net.h: what the two network fuzzers share: reading the input as a
 * stream of choices (0 past its end, so every input is a whole script),
 * and a fake virtio-net device's side of the rings.
 */
#ifndef CVMIFY_FUZZ_NET_H
#define CVMIFY_FUZZ_NET_H

#include <stdio.h>
#include <stdlib.h>

#include "fake_virtio.h"
#include "drivers/virtio/net.h"

struct fuzz_in {
	const u8 *data;
	size_t size;
	size_t pos;
};

static inline u32 fuzz_take(struct fuzz_in *in, u32 bytes)
{
	u32 v = 0;
	for (u32 i = 0; i < bytes; i++)
		v |= (u32)(in->pos < in->size ? in->data[in->pos++] : 0) << (8 * i);
	return v;
}

static inline bool fuzz_left(const struct fuzz_in *in)
{
	return in->pos < in->size;
}

/* An invariant broke: a crash for libFuzzer. */
#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, \
			        __LINE__);                                     \
			abort();                                               \
		}                                                              \
	} while (0)

/* The device writes header + frame (cut to the buffer) into the next
 * receive buffer and completes it with `claimed` bytes (0: honestly, the
 * bytes it wrote); false when no buffer is posted. */
bool fuzz_device_rx(struct virtqueue *rxq, u16 *seen, const u8 hdr[VNET_HDR_SIZE],
                    const u8 *frame, u32 len, u32 claimed);
/* The device completes every frame the driver queued (len 0). */
void fuzz_device_tx_done(struct virtqueue *txq, u16 *seen);

#endif
