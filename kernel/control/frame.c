/*
 * frame.c: control frames in and out (see frame.h).
 * Trust: every byte given to control_decode comes from the host. It is
 * copied into the decoder's own buffer, and a request leaves here only
 * after its header, its length and its values were checked.
 */
#include "control/frame.h"

#include "lib/string.h"

size_t control_encode(u8 *out, size_t out_size, u8 type, const void *payload, size_t size)
{
	if (size > CONTROL_MAX_OUT_PAYLOAD || out_size < CONTROL_HEADER_SIZE + size)
		return 0;
	out[0] = CONTROL_MAGIC;
	out[1] = CONTROL_VERSION;
	out[2] = type;
	out[3] = 0;
	out[4] = (u8)(size & 0xff);
	out[5] = (u8)(size >> 8);
	if (size)
		memcpy(out + CONTROL_HEADER_SIZE, payload, size);
	return CONTROL_HEADER_SIZE + size;
}

void control_decoder_init(struct control_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

static u32 get_u32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u16 get_u16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

/* The payload length each request type must have; 0 for unknown types
 * (no request is empty). */
static size_t request_size(u8 type)
{
	switch (type) {
	case CONTROL_SIGNAL:
		return 4;
	case CONTROL_WINSIZE:
		return 4;
	case CONTROL_STDIN_EOF:
		return 8;
	default:
		return 0;
	}
}

/* Is the header in d->buf one we accept? */
static bool header_ok(const u8 *h)
{
	size_t want = request_size(h[2]);
	return h[0] == CONTROL_MAGIC && h[1] == CONTROL_VERSION && want != 0 && h[3] == 0 &&
	       get_u16(h + 4) == want;
}

/* Fill *out from a complete frame; false if a value is out of range. */
static bool parse_request(const u8 *frame, struct host_request *out)
{
	const u8 *p = frame + CONTROL_HEADER_SIZE;
	*out = (struct host_request){ .type = frame[2] };
	switch (out->type) {
	case CONTROL_SIGNAL:
		out->signo = get_u32(p);
		return out->signo >= 1 && out->signo <= 64;
	case CONTROL_WINSIZE:
		out->rows = get_u16(p);
		out->cols = get_u16(p + 2);
		return true;
	case CONTROL_STDIN_EOF:
		out->stdin_bytes = (u64)get_u32(p) | (u64)get_u32(p + 4) << 32;
		return true;
	default:
		return false;
	}
}

/* Throw away the first byte of the frame so far and look for the next
 * magic byte in the rest (a frame may start inside a bad one). */
static void resync(struct control_decoder *d)
{
	size_t skip = 1;
	while (skip < d->have && d->buf[skip] != CONTROL_MAGIC)
		skip++;
	d->dropped += skip;
	memmove(d->buf, d->buf + skip, d->have - skip);
	d->have -= skip;
}

/* Check what d->buf holds so far: false if it cannot be a valid frame. */
static bool prefix_ok(const struct control_decoder *d)
{
	const u8 *h = d->buf;
	if (d->have >= 1 && h[0] != CONTROL_MAGIC)
		return false;
	if (d->have >= 2 && h[1] != CONTROL_VERSION)
		return false;
	if (d->have >= 3 && request_size(h[2]) == 0)
		return false;
	if (d->have >= CONTROL_HEADER_SIZE && !header_ok(h))
		return false;
	return true;
}

bool control_decode(struct control_decoder *d, u8 byte, struct host_request *out)
{
	if (d->have >= sizeof(d->buf)) /* cannot happen: a full frame is consumed */
		d->have = 0;
	d->buf[d->have++] = byte;
	while (d->have > 0 && !prefix_ok(d))
		resync(d);
	if (d->have < CONTROL_HEADER_SIZE)
		return false;
	size_t total = CONTROL_HEADER_SIZE + get_u16(d->buf + 4);
	if (d->have < total)
		return false;
	bool ok = parse_request(d->buf, out);
	if (!ok)
		d->dropped += total;
	d->have = 0;
	return ok;
}
