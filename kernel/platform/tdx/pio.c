/*
 * pio.c: port I/O as TDG.VP.VMCALL<Instruction.IO> (GHCI 3.9): IN/OUT
 * would trap to a #VE inside a TD. A refused read gives all ones (what a
 * missing device reads as); a refused write is dropped. vmcall.c does the
 * checking and the width masking. td.fd booted as a plain VM uses the
 * instructions themselves.
 */
#include "platform/platform.h"
#include "platform/tdx/tdx.h"
#include "arch/x86_64/cpu.h"

static u32 port_read(u16 port, unsigned size)
{
    u32 value;
    tdx_io_read(port, size, &value); /* value is all ones on refusal */
    return value;
}

u8 platform_inb(u16 port) { return tdx_active() ? (u8)port_read(port, 1) : cpu_inb(port); }
u16 platform_inw(u16 port) { return tdx_active() ? (u16)port_read(port, 2) : cpu_inw(port); }
u32 platform_inl(u16 port) { return tdx_active() ? port_read(port, 4) : cpu_inl(port); }

void platform_outb(u16 port, u8 value)
{
    if (tdx_active())
        tdx_io_write(port, 1, value);
    else
        cpu_outb(port, value);
}

void platform_outw(u16 port, u16 value)
{
    if (tdx_active())
        tdx_io_write(port, 2, value);
    else
        cpu_outw(port, value);
}

void platform_outl(u16 port, u32 value)
{
    if (tdx_active())
        tdx_io_write(port, 4, value);
    else
        cpu_outl(port, value);
}
