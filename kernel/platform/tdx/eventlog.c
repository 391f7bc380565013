/*
 * eventlog.c: the kernel's CCEL-style event log: every extend of an RTMR
 * (TDX) or of the simulated module's registers (plain VM) is recorded,
 * in the TCG2 crypto-agile format (TCG PC Client Platform Firmware
 * Profile): first the Spec ID event (SHA-1 layout, EV_NO_ACTION, SHA-384
 * as the one algorithm), then TCG_PCR_EVENT2 records whose index is the
 * CCEL measurement register (1..4 = RTMR0..3). cvmify verify replays it
 * (cvmify/tdx/eventlog.py writes the same bytes). The app reads it at
 * /dev/attestation/eventlog. Private memory; the host never sees it except
 * as the key broker's evidence.
 */
#include "platform/tdx/tdx.h"
#include "crypto/crypto.h"
#include "lib/string.h"
#include "panic.h"

#define EV_NO_ACTION 0x3
#define ALG_SHA384 0x000c
#define LOG_SIZE 16384

static u8 g_log[LOG_SIZE];
static size_t g_len;

static void put(const void *data, size_t size)
{
    if (size > LOG_SIZE - g_len)
        panic("td: event log full");
    memcpy(g_log + g_len, data, size);
    g_len += size;
}

static void put32(u32 v) { put(&v, 4); }
static void put16(u16 v) { put(&v, 2); }

static void spec_id_event(void)
{
    static const char signature[16] = "Spec ID Event03";
    static const u8 versions[4] = { 0, 2, 0, 2 }; /* minor, major, errata, uintn size */
    put32(0);
    put32(EV_NO_ACTION);
    u8 sha1_zero[20] = {0};
    put(sha1_zero, sizeof(sha1_zero));
    put32(16 + 4 + 4 + 4 + 4 + 1);
    put(signature, sizeof(signature));
    put32(0); /* platform class */
    put(versions, sizeof(versions));
    put32(1); /* one algorithm */
    put16(ALG_SHA384);
    put16(SHA384_SIZE);
    u8 vendor_info_size = 0;
    put(&vendor_info_size, 1);
}

void td_eventlog_append(unsigned rtmr, u32 type, const u8 digest[SHA384_SIZE], const char *data)
{
    if (g_len == 0)
        spec_id_event();
    size_t size = strlen(data);
    put32(rtmr + 1);
    put32(type);
    put32(1);
    put16(ALG_SHA384);
    put(digest, SHA384_SIZE);
    put32((u32)size);
    put(data, size);
}

const u8 *td_eventlog(size_t *size)
{
    if (g_len == 0)
        spec_id_event();
    *size = g_len;
    return g_log;
}
