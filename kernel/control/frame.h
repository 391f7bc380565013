/*
 * frame.h: the control channel's framing (docs/boot-config.md, "Control
 * channel"), without any I/O, so it builds on the host for unit tests and
 * fuzzing.
 *
 * Every message, in both directions, is one frame:
 *
 *   u8 magic 0xC7, u8 version 1, u8 type, u8 0, u16 length (LE), payload
 *
 * The kernel writes guest->host frames (encode) and reads host->guest
 * frames (decode). Decoding is the one place where host requests are
 * checked: header, type, exact payload length and the value ranges of
 * each type. Anything else is dropped and counted; the decoder then
 * looks for the next magic byte.
 */
#ifndef CVMIFY_CONTROL_FRAME_H
#define CVMIFY_CONTROL_FRAME_H

#include "lib/types.h"

#define CONTROL_MAGIC 0xC7
#define CONTROL_VERSION 1
#define CONTROL_HEADER_SIZE 6
/* Longest payload the kernel sends (a panic text, a trace line). */
#define CONTROL_MAX_OUT_PAYLOAD 1024
/* Longest payload the kernel accepts: the largest host request. */
#define CONTROL_MAX_IN_PAYLOAD 8

enum control_type {
	/* guest -> host */
	CONTROL_HELLO = 0x01,    /* empty: the kernel is up and reads requests */
	CONTROL_EXIT = 0x02,     /* u32 status 0..255: the app exited */
	CONTROL_KILLED = 0x03,   /* u32 signal 1..64: the app was killed */
	CONTROL_PANIC = 0x04,    /* text: the kernel failed */
	CONTROL_PROBE_OK = 0x05, /* empty: the accelerator probe passed */
	CONTROL_TRACE = 0x06,    /* text: one --trace summary line */
	/* host -> guest */
	CONTROL_SIGNAL = 0x81,    /* u32 signal 1..64 for the app (sig-proxy) */
	CONTROL_WINSIZE = 0x82,   /* u16 rows, u16 columns: the terminal's size */
	CONTROL_STDIN_EOF = 0x83, /* u64: stdin ends after this many bytes */
};

/* A checked host request. */
struct host_request {
	u8 type;
	u32 signo;       /* CONTROL_SIGNAL */
	u16 rows, cols;  /* CONTROL_WINSIZE */
	u64 stdin_bytes; /* CONTROL_STDIN_EOF */
};

struct control_decoder {
	u8 buf[CONTROL_HEADER_SIZE + CONTROL_MAX_IN_PAYLOAD];
	size_t have;  /* bytes of the current frame in buf */
	u64 dropped;  /* bytes thrown away: bad headers and bad requests */
};

/* Write one frame into out (out_size bytes). Returns its size, or 0 if
 * the payload is longer than CONTROL_MAX_OUT_PAYLOAD or out too small. */
size_t control_encode(u8 *out, size_t out_size, u8 type, const void *payload, size_t size);

void control_decoder_init(struct control_decoder *d);

/* Take one byte from the host. Returns true when it completed a valid
 * request, now in *out. */
bool control_decode(struct control_decoder *d, u8 byte, struct host_request *out);

#endif
