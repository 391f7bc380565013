/*
 * selftest.h: deliberate kernel bugs for the fault tests (fw_cfg
 * opt/cvmify/selftest, docs/boot-config.md; diagnostics only).
 */
#ifndef CVMIFY_ARCH_SELFTEST_H
#define CVMIFY_ARCH_SELFTEST_H

/* If the host asked for a selftest case, trigger it; each one must end
 * in "cvmify: panic <the fault>" and power off with 0x20. An unknown or
 * malformed value panics too. Without the file, returns. Call it once
 * traps, CPU protections and the final page tables are in place. */
void selftest_run_if_requested(void);

#endif
