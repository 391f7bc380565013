/*
 * control.c: the kernel's end of the control channel (see control.h).
 * Trust: bytes from the host go through control_decode (frame.c), the
 * only place that checks them; the handler sees checked requests only.
 */
#include "control/control.h"

#include "lib/kprintf.h"
#include "lib/printf.h"
#include "platform/platform.h"

static control_handler_fn g_handler;
static struct control_decoder g_decoder;
static u64 g_last_poll_ns;
static u64 g_dropped_reported;
static int g_polling; /* one poller at a time (a try-lock, also across CPUs) */

void control_init(void)
{
	control_decoder_init(&g_decoder);
	control_send(CONTROL_HELLO, NULL, 0);
}

void control_send(u8 type, const void *payload, size_t size)
{
	u8 frame[CONTROL_HEADER_SIZE + CONTROL_MAX_OUT_PAYLOAD];
	if (size > CONTROL_MAX_OUT_PAYLOAD)
		size = CONTROL_MAX_OUT_PAYLOAD;
	size_t len = control_encode(frame, sizeof(frame), type, payload, size);
	platform_console_write(CONSOLE_CONTROL, (const char *)frame, len);
}

void control_send_u32(u8 type, u32 value)
{
	u8 le[4] = { (u8)value, (u8)(value >> 8), (u8)(value >> 16), (u8)(value >> 24) };
	control_send(type, le, sizeof(le));
}

void control_send_text(u8 type, const char *fmt, ...)
{
	char text[CONTROL_MAX_OUT_PAYLOAD + 1];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n;
	control_send(type, text, len < sizeof(text) ? len : sizeof(text) - 1);
}

void control_set_handler(control_handler_fn handler)
{
	g_handler = handler;
}

void control_poll(bool now)
{
	if (!g_handler)
		return;
	u64 t = platform_time_ns();
	if (!now && t - g_last_poll_ns < CONTROL_POLL_NS)
		return;
	if (__atomic_exchange_n(&g_polling, 1, __ATOMIC_ACQUIRE))
		return;
	g_last_poll_ns = t;
	u8 chunk[32];
	size_t got, total = 0;
	/* bounded: a host that never stops sending gets the rest next time */
	while (total < CONTROL_POLL_MAX && (got = platform_control_read((char *)chunk, sizeof(chunk))) > 0) {
		total += got;
		for (size_t i = 0; i < got; i++) {
			struct host_request request;
			if (control_decode(&g_decoder, chunk[i], &request))
				g_handler(&request);
		}
	}
	if (g_decoder.dropped != g_dropped_reported) {
		kprintf("control: dropped %llu bytes of malformed host requests\n",
		        (unsigned long long)(g_decoder.dropped - g_dropped_reported));
		g_dropped_reported = g_decoder.dropped;
	}
	__atomic_store_n(&g_polling, 0, __ATOMIC_RELEASE);
}
