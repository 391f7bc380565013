/*
 * power.c: power off. Same isa-debug-exit port (0xf4) as the VM backend,
 * reached through TDG.VP.VMCALL<Instruction.IO>, so a TDX-enabled QEMU
 * reports the same exit codes. After a panic the VMM is also told through
 * ReportFatalError (GHCI 3.4). If the host lets us run on, spin with
 * interrupts off (HLT would itself need a VMCALL in a TD).
 */
#include "platform/platform.h"
#include "platform/tdx/tdx.h"
#include "arch/x86_64/cpu.h"

#define DEBUG_EXIT_PORT 0xf4

void platform_poweroff(u8 code)
{
    cpu_cli();
    if (!tdx_active()) { /* td.fd as a plain VM */
        cpu_outl(DEBUG_EXIT_PORT, code);
        for (;;)
            cpu_hlt();
    }
    tdx_io_write(DEBUG_EXIT_PORT, 4, code);
    if (code == POWEROFF_PANIC)
        tdx_report_fatal_error(code);
    for (;;)
        cpu_pause();
}
