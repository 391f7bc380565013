/*
 * power.c: power off through QEMU's isa-debug-exit (I/O 0xf4). QEMU exits
 * with (code << 1) | 1: 0x10 -> 33 after an app exit, 0x20 -> 65 after a
 * panic. If the device is missing we halt with interrupts off.
 */
#include "platform/platform.h"
#include "arch/x86_64/cpu.h"

#define DEBUG_EXIT_PORT 0xf4

void platform_poweroff(u8 code)
{
    cpu_cli();
    cpu_outl(DEBUG_EXIT_PORT, code);
    for (;;)
        cpu_hlt();
}
