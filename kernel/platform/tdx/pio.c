/*
 * pio.c: port I/O as TDG.VP.VMCALL<Instruction.IO> (GHCI 3.9): IN/OUT
 * would trap to a #VE inside a TD. A refused read gives all ones (what a
 * missing device reads as); a refused write is dropped. vmcall.c does the
 * checking and the width masking.
 */
#include "platform/platform.h"
#include "platform/tdx/tdx.h"

static u32 port_read(u16 port, unsigned size)
{
    u32 value;
    tdx_io_read(port, size, &value); /* value is all ones on refusal */
    return value;
}

u8 platform_inb(u16 port) { return (u8)port_read(port, 1); }
u16 platform_inw(u16 port) { return (u16)port_read(port, 2); }
u32 platform_inl(u16 port) { return port_read(port, 4); }
void platform_outb(u16 port, u8 value) { tdx_io_write(port, 1, value); }
void platform_outw(u16 port, u16 value) { tdx_io_write(port, 2, value); }
void platform_outl(u16 port, u32 value) { tdx_io_write(port, 4, value); }
