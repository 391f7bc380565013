/*
 * kbs.h: the key release of td.fd's kernel (docs/tdx.md, "Key release"):
 * the frame types on the relay channel (kbs_channel.c) and the quote.
 *
 *   guest -> relay  HELLO {u32 version, disk root[48]}
 *   relay -> guest  CHALLENGE {nonce[32]}           (the broker's)
 *   guest -> relay  SIM_QUOTE {TDREPORT[1024]}       (plain VM only)
 *   relay -> guest  QUOTE {quote}                    (simulated QE)
 *   guest -> relay  ATTEST {pub[65], u32 n, quote[n], u32 m, event log[m]}
 *   relay -> guest  KEY {broker pub[65], iv[12], wrapped key[32], tag[16]}
 *                or REFUSED {reason text}
 */
#ifndef CVMIFY_PLATFORM_TDX_KBS_H
#define CVMIFY_PLATFORM_TDX_KBS_H

#include "lib/types.h"

#define KBS_HEADER_SIZE 8
#define KBS_VERSION 1
#define KBS_NONCE_SIZE 32
#define KBS_MAX_FRAME 65536

#define KBS_HELLO 1
#define KBS_CHALLENGE 2
#define KBS_SIM_QUOTE 3
#define KBS_QUOTE 4
#define KBS_ATTEST 5
#define KBS_KEY 6
#define KBS_REFUSED 7

void kbs_channel_init(void);
int kbs_send(u8 type, const void *payload, u32 size);
/* Receive one frame of at most max payload bytes within timeout_s. */
int kbs_recv(u8 *type, void *payload, u32 max, u32 *size, u32 timeout_s);

/* A quote of report into quote (at most max bytes): GetQuote in a TD,
 * the relay's simulated quoting enclave in a plain VM. Length or -errno. */
long td_get_quote(const u8 report[1024], u8 *quote, size_t max);

#endif
