/*
 * pio.c: port I/O for drivers. In VM mode these are plain in/out; in TDX
 * mode they become TDVMCALLs, which is why drivers go through here.
 */
#include "platform/platform.h"
#include "arch/x86_64/cpu.h"

u8 platform_inb(u16 port) { return cpu_inb(port); }
void platform_outb(u16 port, u8 value) { cpu_outb(port, value); }
u16 platform_inw(u16 port) { return cpu_inw(port); }
void platform_outw(u16 port, u16 value) { cpu_outw(port, value); }
u32 platform_inl(u16 port) { return cpu_inl(port); }
void platform_outl(u16 port, u32 value) { cpu_outl(port, value); }
