/*
 * mmio.c: device registers as TDG.VP.VMCALL<#VE.RequestMMIO> (GHCI 3.7)
 * instead of loads and stores: the device window is host memory, so the
 * address passed is the shared GPA (shared bit set). Same window rule as
 * the VM backend: an address outside it is a driver bug and panics.
 */
#include "platform/platform.h"
#include "platform/tdx/tdx.h"
#include "panic.h"

static u64 mmio_gpa(u64 pa, unsigned width)
{
    if (pa < PLATFORM_MMIO_BASE || pa > PLATFORM_MMIO_END - width || pa % width != 0)
        panic("mmio: bad device address %lx", pa);
    return pa | tdx_shared_bit();
}

static u64 mmio_read(u64 pa, unsigned width)
{
    u64 value;
    tdx_mmio_read(mmio_gpa(pa, width), width, &value); /* all ones on refusal */
    return value;
}

u8 platform_mmio_read8(u64 pa) { return (u8)mmio_read(pa, 1); }
u16 platform_mmio_read16(u64 pa) { return (u16)mmio_read(pa, 2); }
u32 platform_mmio_read32(u64 pa) { return (u32)mmio_read(pa, 4); }
void platform_mmio_write8(u64 pa, u8 v) { tdx_mmio_write(mmio_gpa(pa, 1), 1, v); }
void platform_mmio_write16(u64 pa, u16 v) { tdx_mmio_write(mmio_gpa(pa, 2), 2, v); }
void platform_mmio_write32(u64 pa, u32 v) { tdx_mmio_write(mmio_gpa(pa, 4), 4, v); }
