/*
 * test_virtqueue.c: virtqueue.c against a fake device in memory that
 * misbehaves: used->idx jumps, ids out of range or not in flight, lengths
 * larger than offered. Each must fail with -EIO and break the queue for
 * good; honest completions must go through.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "drivers/virtio/virtqueue.h"
#include "syscalls/linux_abi/errno.h"

#define QSIZE 8

static int g_notified;

static void fake_notify(void *ctx, u16 queue_index)
{
	(void)ctx;
	(void)queue_index;
	g_notified++;
}

struct fake {
	struct virtqueue vq;
	void *ring;
	u16 device_seen;   /* avail entries the fake device consumed */
};

static void fake_init(struct fake *f)
{
	size_t bytes = vq_ring_bytes(QSIZE);
	f->ring = aligned_alloc(4096, bytes);
	f->device_seen = 0;
	CHECK_EQ(vq_init(&f->vq, 0, QSIZE, f->ring, 0x100000, fake_notify, NULL), 0);
}

static void fake_free(struct fake *f)
{
	free(f->ring);
}

/* The device takes the next avail head and posts (id, len) to used. */
static u16 device_take(struct fake *f)
{
	u16 head = f->vq.avail->ring[f->device_seen % QSIZE];
	f->device_seen++;
	return head;
}

static void device_post(struct fake *f, u32 id, u32 len)
{
	u16 idx = f->vq.used->idx;
	f->vq.used->ring[idx % QSIZE].id = id;
	f->vq.used->ring[idx % QSIZE].len = len;
	f->vq.used->idx = (u16)(idx + 1);
}

static int submit_read(struct fake *f, void *cookie)
{
	struct vq_buf bufs[3] = { { 0x1000, 16 }, { 0x2000, 512 }, { 0x3000, 1 } };
	return vq_submit(&f->vq, bufs, 1, 2, cookie);
}

static void test_honest_device(void)
{
	struct fake f;
	int a = 1, b = 2;
	fake_init(&f);
	CHECK_EQ(submit_read(&f, &a), 0);
	CHECK_EQ(submit_read(&f, &b), 0);
	CHECK_EQ(f.vq.free_count, QSIZE - 6);
	/* Descriptors carry what we asked for. */
	u16 head = device_take(&f);
	CHECK_EQ(f.vq.desc[head].len, 16);
	CHECK_EQ(f.vq.desc[head].flags, VRING_DESC_F_NEXT);
	u16 second = f.vq.desc[head].next;
	CHECK_EQ(f.vq.desc[second].flags, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE);
	u16 head2 = device_take(&f);

	void *cookie = NULL;
	u32 written = 0;
	CHECK_EQ(vq_poll(&f.vq, &cookie, &written), 0);
	device_post(&f, head2, 513);           /* out of order is allowed */
	device_post(&f, head, 1);
	CHECK_EQ(vq_poll(&f.vq, &cookie, &written), 1);
	CHECK(cookie == &b);
	CHECK_EQ(written, 513);
	CHECK_EQ(vq_poll(&f.vq, &cookie, &written), 1);
	CHECK(cookie == &a);
	CHECK_EQ(vq_poll(&f.vq, &cookie, &written), 0);
	CHECK_EQ(f.vq.free_count, QSIZE);
	CHECK(!vq_is_broken(&f.vq));
	fake_free(&f);
}

static void test_many_rounds_wrap_indices(void)
{
	struct fake f;
	int token;
	fake_init(&f);
	for (int i = 0; i < 70000; i++) {
		CHECK_EQ(submit_read(&f, &token), 0);
		device_post(&f, device_take(&f), 100);
		void *cookie = NULL;
		u32 written = 0;
		if (vq_poll(&f.vq, &cookie, &written) != 1) {
			CHECK(false);
			break;
		}
	}
	CHECK_EQ(f.vq.free_count, QSIZE);
	fake_free(&f);
}

static void expect_broken(struct fake *f)
{
	void *cookie = NULL;
	u32 written = 0;
	CHECK_EQ(vq_poll(&f->vq, &cookie, &written), -EIO);
	CHECK(vq_is_broken(&f->vq));
	/* Never trusted again: polls and submits fail. */
	CHECK_EQ(vq_poll(&f->vq, &cookie, &written), -EIO);
	CHECK_EQ(submit_read(f, NULL), -EIO);
}

static void test_used_idx_jump(void)
{
	struct fake f;
	fake_init(&f);
	CHECK_EQ(submit_read(&f, NULL), 0);
	f.vq.used->ring[0].id = device_take(&f);
	f.vq.used->idx = 2;                    /* two completions, one in flight */
	expect_broken(&f);
	fake_free(&f);
}

static void test_used_idx_huge_jump(void)
{
	struct fake f;
	fake_init(&f);
	CHECK_EQ(submit_read(&f, NULL), 0);
	f.vq.used->idx = 0x8000;
	expect_broken(&f);
	fake_free(&f);
}

static void test_id_out_of_range(void)
{
	struct fake f;
	fake_init(&f);
	CHECK_EQ(submit_read(&f, NULL), 0);
	device_take(&f);
	device_post(&f, QSIZE, 1);
	expect_broken(&f);
	fake_free(&f);

	fake_init(&f);
	CHECK_EQ(submit_read(&f, NULL), 0);
	device_post(&f, 0xffffffffu, 1);
	expect_broken(&f);
	fake_free(&f);
}

static void test_id_not_in_flight(void)
{
	struct fake f;
	fake_init(&f);
	CHECK_EQ(submit_read(&f, NULL), 0);
	u16 head = device_take(&f);
	/* The second descriptor of the chain is not a head. */
	device_post(&f, f.vq.desc[head].next, 1);
	expect_broken(&f);
	fake_free(&f);
}

static void test_id_completed_twice(void)
{
	struct fake f;
	fake_init(&f);
	CHECK_EQ(submit_read(&f, NULL), 0);
	CHECK_EQ(submit_read(&f, NULL), 0);
	u16 head = device_take(&f);
	device_post(&f, head, 1);
	void *cookie = NULL;
	u32 written = 0;
	CHECK_EQ(vq_poll(&f.vq, &cookie, &written), 1);
	device_post(&f, head, 1);              /* same id again */
	expect_broken(&f);
	fake_free(&f);
}

static void test_len_too_large(void)
{
	struct fake f;
	fake_init(&f);
	CHECK_EQ(submit_read(&f, NULL), 0);
	device_post(&f, device_take(&f), 514); /* offered 512 + 1 writable */
	expect_broken(&f);
	fake_free(&f);
}

static void test_device_rewrites_descriptors(void)
{
	/* The device scribbles over the shared descriptor table; our free
	 * list lives in the private shadow, so it stays intact. */
	struct fake f;
	fake_init(&f);
	CHECK_EQ(submit_read(&f, NULL), 0);
	u16 head = device_take(&f);
	for (int i = 0; i < QSIZE; i++) {
		f.vq.desc[i].next = 0x7777;
		f.vq.desc[i].flags = 0xffff;
	}
	device_post(&f, head, 10);
	void *cookie = NULL;
	u32 written = 0;
	CHECK_EQ(vq_poll(&f.vq, &cookie, &written), 1);
	CHECK_EQ(f.vq.free_count, QSIZE);
	for (int i = 0; i < QSIZE / 3; i++)
		CHECK_EQ(submit_read(&f, NULL), 0);
	CHECK_EQ(f.vq.free_count, QSIZE - 3 * (QSIZE / 3));
	fake_free(&f);
}

static void test_submit_limits(void)
{
	struct fake f;
	fake_init(&f);
	struct vq_buf bufs[QSIZE + 1];
	for (int i = 0; i < QSIZE + 1; i++) {
		bufs[i].phys = 0x1000;
		bufs[i].size = 8;
	}
	CHECK_EQ(vq_submit(&f.vq, bufs, 0, 0, NULL), -EINVAL);
	CHECK_EQ(vq_submit(&f.vq, bufs, 1, QSIZE, NULL), -EAGAIN);
	CHECK_EQ(vq_submit(&f.vq, bufs, 1, QSIZE - 1, NULL), 0);
	CHECK_EQ(vq_submit(&f.vq, bufs, 1, 0, NULL), -EAGAIN);
	int before = g_notified;
	CHECK_EQ(before > 0, 1);
	fake_free(&f);

	u8 ring[64];
	CHECK_EQ(vq_init(&f.vq, 0, 3, ring, 0, fake_notify, NULL), -EINVAL);
	CHECK_EQ(vq_init(&f.vq, 0, 512, ring, 0, fake_notify, NULL), -EINVAL);
}

static void test_interrupts_and_pending(void)
{
	struct fake f;
	fake_init(&f);
	CHECK_EQ(f.vq.avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
	vq_interrupts(&f.vq, true);
	CHECK_EQ(f.vq.avail->flags, 0);
	CHECK(!vq_has_pending(&f.vq));
	CHECK_EQ(submit_read(&f, NULL), 0);
	CHECK(!vq_has_pending(&f.vq));
	device_post(&f, device_take(&f), 1);
	CHECK(vq_has_pending(&f.vq));
	void *cookie = NULL;
	u32 written = 0;
	CHECK_EQ(vq_poll(&f.vq, &cookie, &written), 1);
	CHECK(!vq_has_pending(&f.vq));
	vq_interrupts(&f.vq, false);
	CHECK_EQ(f.vq.avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
	/* A broken queue always looks pending, so waiters see the -EIO. */
	f.vq.used->idx = 0x4000;
	CHECK_EQ(vq_poll(&f.vq, &cookie, &written), -EIO);
	CHECK(vq_has_pending(&f.vq));
	fake_free(&f);
}

static void test_batch_and_kick(void)
{
	struct fake f;
	fake_init(&f);
	struct vq_buf buf = { 0x2000, 64 };
	int before = g_notified;
	CHECK_EQ(vq_add(&f.vq, &buf, 0, 1, NULL), 0);
	CHECK_EQ(vq_add(&f.vq, &buf, 0, 1, NULL), 0);
	CHECK_EQ(vq_add(&f.vq, &buf, 0, 1, NULL), 0);
	CHECK_EQ(g_notified, before);
	CHECK_EQ(f.vq.avail->idx, 3);
	vq_kick(&f.vq);
	CHECK_EQ(g_notified, before + 1);
	vq_kick(&f.vq); /* nothing new: no notification */
	CHECK_EQ(g_notified, before + 1);
	/* The device says it needs no notification (a hint we honour). */
	f.vq.used->flags = VRING_USED_F_NO_NOTIFY;
	CHECK_EQ(vq_submit(&f.vq, &buf, 0, 1, NULL), 0);
	CHECK_EQ(g_notified, before + 1);
	f.vq.used->flags = 0;
	CHECK_EQ(vq_submit(&f.vq, &buf, 0, 1, NULL), 0);
	CHECK_EQ(g_notified, before + 2);
	fake_free(&f);
}

static const struct host_test g_tests[] = {
	{ "batch_and_kick", test_batch_and_kick },
	{ "interrupts_and_pending", test_interrupts_and_pending },
	{ "honest_device", test_honest_device },
	{ "many_rounds_wrap_indices", test_many_rounds_wrap_indices },
	{ "used_idx_jump", test_used_idx_jump },
	{ "used_idx_huge_jump", test_used_idx_huge_jump },
	{ "id_out_of_range", test_id_out_of_range },
	{ "id_not_in_flight", test_id_not_in_flight },
	{ "id_completed_twice", test_id_completed_twice },
	{ "len_too_large", test_len_too_large },
	{ "device_rewrites_descriptors", test_device_rewrites_descriptors },
	{ "submit_limits", test_submit_limits },
};

int main(int argc, char **argv)
{
	/* argv[1] is the golden directory (unused here); argv[2] a test name. */
	return run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])),
	                 argc > 1 ? argc - 1 : argc, argc > 1 ? argv + 1 : argv);
}
