/*
 * mode.c: which machine the TDX kernel runs on. The same kernel (inside
 * td.fd) boots as a TD and as a plain q35 VM (docs/tdx.md, "Two ways
 * in"); td_entry.S records which way the stub came in. A TD always
 * enters in protected mode, which the host cannot change, so a TD never
 * takes the plain-VM paths. In a TD, CPUID leaf 0x21 (answered by the
 * TDX module, not the host) must also say "IntelTDX    ".
 */
#include "platform/tdx/tdx.h"
#include "tdboot/layout.h"
#include "arch/x86_64/cpu.h"
#include "lib/string.h"
#include "panic.h"

#define CPUID_TDX_LEAF 0x21

u32 g_td_boot_mode; /* written by td_entry.S before paging; .bss */

bool tdx_active(void)
{
    return g_td_boot_mode == TD_BOOT_TDX;
}

void tdx_mode_check(void)
{
    if (g_td_boot_mode != TD_BOOT_TDX && g_td_boot_mode != TD_BOOT_VM)
        panic("td: unknown boot mode %u (not started by td.fd's stub?)", g_td_boot_mode);
    if (!tdx_active())
        return;
    u32 a, b, c, d;
    cpu_cpuid(CPUID_TDX_LEAF, 0, &a, &b, &c, &d);
    char vendor[12];
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    if (memcmp(vendor, "IntelTDX    ", 12) != 0)
        panic("td: entered in protected mode but CPUID 0x21 says this is no TD");
}
