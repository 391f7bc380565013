/*
 * sim.c: the simulated TDX module of a plain VM (docs/tdx.md, "Simulated
 * attestation"). When td.fd boots without TDX, the measurement calls
 * land here: four RTMRs kept in private memory and extended by the same
 * rule (RTMR = SHA-384(RTMR || digest)), and a TDREPORT_STRUCT-shaped
 * report with them and REPORTDATA. MRTD is left zero: the simulated
 * quoting enclave on the host fills it from the td.fd it booted. Nothing
 * here is protected from the host; a verifier accepts such evidence only
 * with --allow-simulated.
 */
#include "platform/tdx/tdx.h"
#include "crypto/crypto.h"
#include "lib/string.h"

#define TDINFO_ATTRIBUTES 512
#define TDINFO_RTMR0 720
#define REPORTDATA 128
#define ATTR_SEPT_VE_DISABLE (1ULL << 28)

static u8 g_rtmr[4][SHA384_SIZE];

void sim_rtmr_extend(unsigned index, const u8 digest[SHA384_SIZE])
{
    struct sha384_ctx ctx;
    sha384_init(&ctx);
    sha384_update(&ctx, g_rtmr[index], SHA384_SIZE);
    sha384_update(&ctx, digest, SHA384_SIZE);
    sha384_final(&ctx, g_rtmr[index]);
}

void sim_report(const u8 reportdata[TDX_REPORTDATA_SIZE], u8 report[TDX_REPORT_SIZE])
{
    u64 attributes = ATTR_SEPT_VE_DISABLE;
    memset(report, 0, TDX_REPORT_SIZE);
    memcpy(report + REPORTDATA, reportdata, TDX_REPORTDATA_SIZE);
    memcpy(report + TDINFO_ATTRIBUTES, &attributes, sizeof(attributes));
    memcpy(report + TDINFO_RTMR0, g_rtmr, sizeof(g_rtmr));
}
