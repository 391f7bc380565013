/*
 * test_control_frame.c: the control channel's framing (control/frame.c):
 * frames out, and host requests in, checked in one place: every valid
 * request is taken, every malformed one dropped without eating the next,
 * and random bytes (a hostile host) never yield an out-of-range request.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "control/frame.h"

static size_t request(u8 *out, u8 type, const u8 *payload, u16 size)
{
	out[0] = CONTROL_MAGIC;
	out[1] = CONTROL_VERSION;
	out[2] = type;
	out[3] = 0;
	out[4] = (u8)size;
	out[5] = (u8)(size >> 8);
	memcpy(out + 6, payload, size);
	return 6u + size;
}

/* Feed bytes; returns how many requests came out, the last in *last. */
static int feed(struct control_decoder *d, const u8 *bytes, size_t size, struct host_request *last)
{
	int count = 0;
	for (size_t i = 0; i < size; i++) {
		struct host_request r;
		if (control_decode(d, bytes[i], &r)) {
			*last = r;
			count++;
		}
	}
	return count;
}

static void test_encode(void)
{
	u8 out[64];
	CHECK_EQ(control_encode(out, sizeof(out), CONTROL_EXIT, "\x03\0\0\0", 4), 10);
	CHECK(memcmp(out, "\xc7\x01\x02\x00\x04\x00\x03\x00\x00\x00", 10) == 0);
	CHECK_EQ(control_encode(out, sizeof(out), CONTROL_HELLO, NULL, 0), 6);
	CHECK_EQ(control_encode(out, 9, CONTROL_EXIT, "\x03\0\0\0", 4), 0); /* too small */
	static u8 big[CONTROL_MAX_OUT_PAYLOAD + 1];
	static u8 room[sizeof(big) + 16];
	CHECK_EQ(control_encode(room, sizeof(room), CONTROL_PANIC, big, sizeof(big)), 0);
	CHECK_EQ(control_encode(room, sizeof(room), CONTROL_PANIC, big, sizeof(big) - 1),
	         CONTROL_HEADER_SIZE + CONTROL_MAX_OUT_PAYLOAD);
}

static void test_each_request(void)
{
	struct control_decoder d;
	struct host_request r;
	u8 buf[32];
	control_decoder_init(&d);

	CHECK_EQ(feed(&d, buf, request(buf, CONTROL_SIGNAL, (const u8 *)"\x0f\0\0\0", 4), &r), 1);
	CHECK_EQ(r.type, CONTROL_SIGNAL);
	CHECK_EQ(r.signo, 15);

	CHECK_EQ(feed(&d, buf, request(buf, CONTROL_WINSIZE, (const u8 *)"\x32\x00\xa0\x00", 4), &r), 1);
	CHECK_EQ(r.type, CONTROL_WINSIZE);
	CHECK_EQ(r.rows, 50);
	CHECK_EQ(r.cols, 160);

	CHECK_EQ(feed(&d, buf, request(buf, CONTROL_STDIN_EOF,
	                               (const u8 *)"\x01\x02\x00\x00\x00\x00\x00\x01", 8), &r), 1);
	CHECK_EQ(r.type, CONTROL_STDIN_EOF);
	CHECK(r.stdin_bytes == 0x0100000000000201ULL);
	CHECK_EQ(d.dropped, 0);
}

static void test_bad_requests_are_dropped_and_the_next_one_kept(void)
{
	struct control_decoder d;
	struct host_request r;
	u8 buf[256];
	size_t n = 0;
	control_decoder_init(&d);
	n += request(buf + n, CONTROL_SIGNAL, (const u8 *)"\x00\0\0\0", 4);      /* signal 0 */
	n += request(buf + n, CONTROL_SIGNAL, (const u8 *)"\x41\0\0\0", 4);      /* signal 65 */
	n += request(buf + n, CONTROL_SIGNAL, (const u8 *)"\x02\0\0\0\0", 5);    /* wrong length */
	n += request(buf + n, CONTROL_EXIT, (const u8 *)"\0\0\0\0", 4);          /* guest-only type */
	n += request(buf + n, 0x99, (const u8 *)"\0\0\0\0", 4);                  /* unknown type */
	buf[n++] = 0x00;                                                          /* noise */
	n += request(buf + n, CONTROL_WINSIZE, (const u8 *)"\x18\0\x50\0", 4);
	buf[n - 9] = 2;                                                           /* bad version */
	n += request(buf + n, CONTROL_WINSIZE, (const u8 *)"\x18\0\x50\0", 4);
	buf[n - 7] = 1;                                                           /* reserved byte set */
	n += request(buf + n, CONTROL_SIGNAL, (const u8 *)"\x02\0\0\0", 4);      /* the good one */
	CHECK_EQ(feed(&d, buf, n, &r), 1);
	CHECK_EQ(r.type, CONTROL_SIGNAL);
	CHECK_EQ(r.signo, 2);
	CHECK_EQ(d.dropped, n - 10);
}

static void test_a_frame_split_across_reads(void)
{
	struct control_decoder d;
	struct host_request r;
	u8 buf[32];
	size_t n = request(buf, CONTROL_SIGNAL, (const u8 *)"\x09\0\0\0", 4);
	control_decoder_init(&d);
	for (size_t i = 0; i + 1 < n; i++)
		CHECK_EQ(feed(&d, buf + i, 1, &r), 0);
	CHECK_EQ(feed(&d, buf + n - 1, 1, &r), 1);
	CHECK_EQ(r.signo, 9);
}

/* Random bytes, and random mutations of valid requests: no crash (ASan
 * watches), every request that comes out is in range. */
static void test_fuzz(void)
{
	struct control_decoder d;
	control_decoder_init(&d);
	srand(1234);
	u8 valid[3][16];
	size_t sizes[3] = {
		request(valid[0], CONTROL_SIGNAL, (const u8 *)"\x0f\0\0\0", 4),
		request(valid[1], CONTROL_WINSIZE, (const u8 *)"\x18\0\x50\0", 4),
		request(valid[2], CONTROL_STDIN_EOF, (const u8 *)"\x10\0\0\0\0\0\0\0", 8),
	};
	long accepted = 0;
	for (int round = 0; round < 200000; round++) {
		u8 bytes[16];
		size_t n;
		if (round % 2) {
			int k = rand() % 3;
			n = sizes[k];
			memcpy(bytes, valid[k], n);
			bytes[rand() % n] ^= (u8)(1u << (rand() % 8));
		} else {
			n = 1 + (size_t)(rand() % 16);
			for (size_t i = 0; i < n; i++)
				bytes[i] = rand() % 4 ? (u8)rand() : CONTROL_MAGIC;
		}
		for (size_t i = 0; i < n; i++) {
			struct host_request r;
			if (!control_decode(&d, bytes[i], &r))
				continue;
			accepted++;
			CHECK(r.type == CONTROL_SIGNAL || r.type == CONTROL_WINSIZE ||
			      r.type == CONTROL_STDIN_EOF);
			if (r.type == CONTROL_SIGNAL)
				CHECK(r.signo >= 1 && r.signo <= 64);
		}
		CHECK(d.have < sizeof(d.buf));
	}
	CHECK(accepted > 0);
}

static const struct host_test g_tests[] = {
	{ "encode", test_encode },
	{ "each_request", test_each_request },
	{ "bad_requests_are_dropped_and_the_next_one_kept",
	  test_bad_requests_are_dropped_and_the_next_one_kept },
	{ "a_frame_split_across_reads", test_a_frame_split_across_reads },
	{ "fuzz", test_fuzz },
};

int main(int argc, char **argv)
{
	/* argv[1] is the golden directory the harness passes to every test */
	return run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])), argc - 1,
	                 argv + 1);
}
