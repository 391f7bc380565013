/*
 * fuzz_virtqueue.c: the split virtqueue against a device whose every
 * write comes from the fuzzer: used->idx jumps, ids, lengths, in any
 * order with the driver's submits and polls. The driver may refuse
 * (and break the queue) but must never hand back a request that is not
 * in flight, a length above what it offered, or touch memory outside
 * the rings (ASan).
 */
#include <stdio.h>

#include "drivers/virtio/virtqueue.h"
#include "fuzz_input.h"
#include "syscalls/linux_abi/errno.h"

#define QSIZE 16
#define MAX_REQS 256

struct req {
	int in_flight;
	uint32_t writable;
};

static void notify(void *ctx, u16 queue)
{
	(void)ctx;
	(void)queue;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size, 0};
	uint16_t qsize = (uint16_t)(1u << (fuzz_u8(&in) % 5)); /* 1..16 */
	size_t bytes = vq_ring_bytes(qsize);
	void *ring = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);
	struct virtqueue *vq = calloc(1, sizeof(*vq));
	FUZZ_ASSERT(vq_init(vq, 0, qsize, ring, 0x100000, notify, NULL) == 0);
	static struct req reqs[MAX_REQS];
	memset(reqs, 0, sizeof(reqs));
	int next_req = 0;
	int broken = 0;

	for (int step = 0; step < 400 && !fuzz_done(&in); step++) {
		uint8_t op = fuzz_u8(&in);
		switch (op % 4) {
		case 0: { /* the driver submits */
			uint16_t outs = fuzz_u8(&in) % 4, ins = fuzz_u8(&in) % 4;
			struct vq_buf bufs[8];
			uint32_t writable = 0;
			for (int i = 0; i < outs + ins; i++) {
				bufs[i].phys = 0x200000 + (uint64_t)i * 0x1000;
				bufs[i].size = 1 + fuzz_u16(&in) % 4096;
				if (i >= outs)
					writable += bufs[i].size;
			}
			if (next_req >= MAX_REQS)
				break;
			struct req *r = &reqs[next_req];
			int err = vq_submit(vq, bufs, outs, ins, r);
			if (broken)
				FUZZ_ASSERT(err == -EIO);
			if (err == 0) {
				r->in_flight = 1;
				r->writable = writable;
				next_req++;
			}
			break;
		}
		case 1: { /* the device posts a used element */
			uint16_t idx = vq->used->idx;
			vq->used->ring[idx % qsize].id = fuzz_u32(&in) % (qsize * 2u);
			vq->used->ring[idx % qsize].len = fuzz_u32(&in) % 20000;
			vq->used->idx = (uint16_t)(idx + 1 + fuzz_u8(&in) % 3 / 2);
			break;
		}
		case 2: { /* the driver polls */
			void *cookie = NULL;
			uint32_t written = 0;
			int got = vq_poll(vq, &cookie, &written);
			if (got < 0) {
				FUZZ_ASSERT(got == -EIO);
				broken = 1;
			} else if (got == 1) {
				FUZZ_ASSERT(!broken);
				struct req *r = cookie;
				FUZZ_ASSERT(r >= reqs && r < reqs + next_req && r->in_flight);
				FUZZ_ASSERT(written <= r->writable);
				r->in_flight = 0;
			}
			break;
		}
		default: /* the device scribbles on used->idx or flags */
			vq->used->idx = fuzz_u16(&in);
			vq->used->flags = fuzz_u16(&in);
			break;
		}
		FUZZ_ASSERT(vq->free_count <= qsize);
	}
	free(vq);
	free(ring);
	return 0;
}
