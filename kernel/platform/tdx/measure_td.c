/*
 * measure_td.c: the measurement primitives of platform.h for td.fd's
 * kernel. In a TD an extend is TDG.MR.RTMR.EXTEND (attest.c); in a plain
 * VM the simulated module's register (sim.c). Either way the event goes
 * into the event log (eventlog.c). A refused extend is fatal: running on
 * with a measurement missing would let a verifier see a different boot.
 */
#include "platform/platform.h"
#include "platform/tdx/tdx.h"
#include "panic.h"

#define EV_IPL 0xd

int platform_measure_extend(unsigned rtmr, const u8 digest[48], const char *event)
{
    if (rtmr != 2 && rtmr != 3)
        panic("td: extend of RTMR%u (only 2 and 3 are the kernel's)", rtmr);
    if (tdx_active()) {
        if (tdx_rtmr_extend(rtmr, digest) != 0)
            panic("td: TDG.MR.RTMR.EXTEND of RTMR%u refused", rtmr);
    } else {
        sim_rtmr_extend(rtmr, digest);
    }
    td_eventlog_append(rtmr, EV_IPL, digest, event);
    return 0;
}

void td_report(const u8 reportdata[TDX_REPORTDATA_SIZE], u8 report[TDX_REPORT_SIZE])
{
    if (!tdx_active()) {
        sim_report(reportdata, report);
        return;
    }
    if (tdx_get_report(reportdata, report) != 0)
        panic("td: TDG.MR.REPORT refused");
}

const char *platform_attestation_type(void)
{
    return tdx_active() ? "tdx" : "tdx-simulated";
}

const u8 *platform_event_log(size_t *size)
{
    return td_eventlog(size);
}
