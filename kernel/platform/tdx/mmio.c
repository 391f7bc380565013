/*
 * mmio.c: device registers as TDG.VP.VMCALL<#VE.RequestMMIO> (GHCI 3.7)
 * instead of loads and stores: the device window is host memory, so the
 * address passed is the shared GPA (shared bit set). Same window rule as
 * the VM backend: an address outside it is a driver bug and panics.
 * td.fd booted as a plain VM uses loads and stores through the uncached
 * device window of the direct map, like the VM backend.
 */
#include "platform/platform.h"
#include "platform/tdx/tdx.h"
#include "mm/page.h"
#include "panic.h"

static void check_window(u64 pa, unsigned width)
{
    if (pa < PLATFORM_MMIO_BASE || pa > PLATFORM_MMIO_END - width || pa % width != 0)
        panic("mmio: bad device address %lx", pa);
}

static u64 mmio_read(u64 pa, unsigned width)
{
    check_window(pa, width);
    if (!tdx_active()) {
        volatile void *p = phys_to_virt(pa);
        return width == 1 ? *(volatile u8 *)p : width == 2 ? *(volatile u16 *)p : *(volatile u32 *)p;
    }
    u64 value;
    tdx_mmio_read(pa | tdx_shared_bit(), width, &value); /* all ones on refusal */
    return value;
}

static void mmio_write(u64 pa, unsigned width, u32 v)
{
    check_window(pa, width);
    if (tdx_active()) {
        tdx_mmio_write(pa | tdx_shared_bit(), width, v);
        return;
    }
    volatile void *p = phys_to_virt(pa);
    if (width == 1)
        *(volatile u8 *)p = (u8)v;
    else if (width == 2)
        *(volatile u16 *)p = (u16)v;
    else
        *(volatile u32 *)p = v;
}

u8 platform_mmio_read8(u64 pa) { return (u8)mmio_read(pa, 1); }
u16 platform_mmio_read16(u64 pa) { return (u16)mmio_read(pa, 2); }
u32 platform_mmio_read32(u64 pa) { return (u32)mmio_read(pa, 4); }
void platform_mmio_write8(u64 pa, u8 v) { mmio_write(pa, 1, v); }
void platform_mmio_write16(u64 pa, u16 v) { mmio_write(pa, 2, v); }
void platform_mmio_write32(u64 pa, u32 v) { mmio_write(pa, 4, v); }
