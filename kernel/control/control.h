/*
 * control.h: the control channel between the kernel and the launcher
 * (docs/boot-config.md, "Control channel"): a UART of its own (COM4) that
 * only the kernel touches. The app has no file for it, so nothing the app
 * writes can look like a control message; the kernel log (COM3) is for
 * people only and the launcher does not parse it.
 *
 * Out: the app's exit status or killing signal, a panic, the probe
 * verdict, the --trace summary. In: host requests (frame.h), checked by
 * control_decode and handed to the handler the process layer registers.
 */
#ifndef CVMIFY_CONTROL_CONTROL_H
#define CVMIFY_CONTROL_CONTROL_H

#include <stdarg.h>

#include "control/frame.h"
#include "lib/types.h"

/* Say hello to the launcher (after platform_console_init). */
void control_init(void);

/* Send one message; text payloads are cut at CONTROL_MAX_OUT_PAYLOAD. */
void control_send(u8 type, const void *payload, size_t size);
void control_send_u32(u8 type, u32 value);
void control_send_text(u8 type, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef void (*control_handler_fn)(const struct host_request *request);

/* Who applies host requests; until set, control_poll reads nothing. */
void control_set_handler(control_handler_fn handler);

/* Read what the host sent so far and apply each complete request (the
 * control UART's interrupt calls it, proc/host_requests.c). Cheap to call
 * often: it touches the UART at most every CONTROL_POLL_NS unless now is
 * true. */
#define CONTROL_POLL_NS 2000000ULL
#define CONTROL_POLL_MAX 4096 /* bytes read in one call at most */
void control_poll(bool now);

#endif
