/*
 * mmio.c: device registers in the window [PLATFORM_MMIO_BASE, 4 GiB),
 * mapped uncached in the direct map by kpt.c. Volatile accesses of the
 * exact width the device expects; an address outside the window is a
 * driver bug and panics.
 */
#include "platform/platform.h"
#include "mm/page.h"
#include "panic.h"

static volatile void *mmio_ptr(u64 pa, size_t width)
{
    if (pa < PLATFORM_MMIO_BASE || pa > PLATFORM_MMIO_END - width || pa % width != 0)
        panic("mmio: bad device address %lx", pa);
    return (volatile void *)phys_to_virt(pa);
}

u8 platform_mmio_read8(u64 pa) { return *(volatile u8 *)mmio_ptr(pa, 1); }
u16 platform_mmio_read16(u64 pa) { return *(volatile u16 *)mmio_ptr(pa, 2); }
u32 platform_mmio_read32(u64 pa) { return *(volatile u32 *)mmio_ptr(pa, 4); }
void platform_mmio_write8(u64 pa, u8 v) { *(volatile u8 *)mmio_ptr(pa, 1) = v; }
void platform_mmio_write16(u64 pa, u16 v) { *(volatile u16 *)mmio_ptr(pa, 2) = v; }
void platform_mmio_write32(u64 pa, u32 v) { *(volatile u32 *)mmio_ptr(pa, 4) = v; }
