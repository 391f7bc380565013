/*
 * attest.c: TDG.MR.RTMR.EXTEND and TDG.MR.REPORT (TDX Module ABI spec,
 * those leaves). Both take guest physical addresses of private buffers:
 * the extend data must be 64-byte aligned and 48 bytes long (SHA-384),
 * REPORTDATA 64-byte aligned, the TDREPORT_STRUCT output 1024-byte
 * aligned. The buffers are ours (private, static), so the host never sees
 * them; the TDX module, which is trusted, writes the report.
 */
#include "platform/tdx/tdx.h"
#include "platform/tdx/tdcall.h"
#include "mm/page.h"
#include "lib/string.h"
#include "syscalls/linux_abi/errno.h"
#include "panic.h"

#define TDX_RTMR_COUNT 4
#define REPORT_SUBTYPE_TD 0

static u8 g_extend_buf[64] __attribute__((aligned(64)));
static u8 g_reportdata_buf[TDX_REPORTDATA_SIZE] __attribute__((aligned(64)));
static u8 g_report_buf[TDX_REPORT_SIZE] __attribute__((aligned(1024)));

int tdx_rtmr_extend(unsigned index, const u8 digest[TDX_DIGEST_SIZE])
{
    /* RTMR[0] and [1] belong to the firmware's measurements. */
    if (index < 2 || index >= TDX_RTMR_COUNT)
        panic("tdx: extend of RTMR[%u]", index);
    memset(g_extend_buf, 0, sizeof(g_extend_buf));
    memcpy(g_extend_buf, digest, TDX_DIGEST_SIZE);
    struct tdx_regs regs = {
        .rcx = virt_to_phys(g_extend_buf),
        .rdx = index,
    };
    return tdx_tdcall(TDG_MR_RTMR_EXTEND, &regs) == TDX_SUCCESS ? 0 : -EIO;
}

int tdx_get_report(const u8 reportdata[TDX_REPORTDATA_SIZE], u8 report[TDX_REPORT_SIZE])
{
    memcpy(g_reportdata_buf, reportdata, TDX_REPORTDATA_SIZE);
    memset(g_report_buf, 0, sizeof(g_report_buf));
    struct tdx_regs regs = {
        .rcx = virt_to_phys(g_report_buf),
        .rdx = virt_to_phys(g_reportdata_buf),
        .r8 = REPORT_SUBTYPE_TD,
    };
    if (tdx_tdcall(TDG_MR_REPORT, &regs) != TDX_SUCCESS)
        return -EIO;
    memcpy(report, g_report_buf, TDX_REPORT_SIZE);
    return 0;
}
