/*
 * platform.h: the only door to the host.
 *
 * Every primitive that reads from or writes to something the host controls
 * (consoles, fw_cfg files, device MMIO, port I/O, memory shared for DMA,
 * time, power off) is declared here. Backends live in platform/vm/ (plain
 * QEMU/KVM/TCG guest) and later platform/tdx/; nothing else includes their
 * headers. Whatever these calls return is host input: callers copy it into
 * private memory and check it before use.
 */
#ifndef CVMIFY_PLATFORM_H
#define CVMIFY_PLATFORM_H

#include "lib/types.h"

/* ---- boot ---------------------------------------------------------- */

/* Bring up the consoles. Called first in main (after measuring). */
void platform_console_init(void);

/* A usable RAM range reported by the host (already validated: page
 * aligned, non-overlapping, inside the physical address width). */
struct ram_range {
    u64 base;
    u64 size;
};

/* Parse and validate the host's memory map (PVH start info in VM mode).
 * boot_info_pa is what the boot code received (%ebx at PVH entry).
 * Fills at most max ranges, returns how many. Panics on garbage. */
size_t platform_memory_map(u64 boot_info_pa, struct ram_range *out, size_t max);

/* Mask the legacy interrupt controllers: the kernel polls. */
void platform_irq_init(void);

/* ---- consoles ------------------------------------------------------ */

enum console_channel {
    CONSOLE_STDOUT = 0, /* COM1: app stdout and tty input */
    CONSOLE_STDERR = 1, /* COM2: app stderr */
    CONSOLE_LOG = 2,    /* COM3: kernel log, for people */
    CONSOLE_CONTROL = 3, /* COM4: control frames (control/control.h) */
};

/* Write len bytes; blocks until the UART took them all. */
void platform_console_write(enum console_channel channel, const char *buf, size_t len);

/* Read up to len bytes of COM1 input that are already waiting; never
 * blocks. Returns the number of bytes read (0 if none). */
size_t platform_console_read(char *buf, size_t len);

/* True if COM1 has input waiting. */
bool platform_console_has_input(void);

/* Read up to len bytes the host sent on the control channel (COM4) that
 * are already waiting; never blocks. Returns the number read. */
size_t platform_control_read(char *buf, size_t len);

/* ---- fw_cfg files (docs/boot-config.md) ---------------------------- */

/* Size of the named fw_cfg file, or -ENOENT. */
long platform_fwcfg_size(const char *name);

/* Copy the whole named file into buf. size must equal the file's size
 * (as returned by platform_fwcfg_size); returns 0 or -ENOENT/-EINVAL. */
int platform_fwcfg_read(const char *name, void *buf, size_t size);

/* ---- device MMIO ------------------------------------------------------
 * Physical addresses in the device window [PLATFORM_MMIO_BASE,
 * PLATFORM_MMIO_END) only (virtio-mmio lives at 0xfeb00000). Anything
 * outside panics: a driver bug, not host input. */
#define PLATFORM_MMIO_BASE 0xfe000000ULL
#define PLATFORM_MMIO_END 0x100000000ULL

u8 platform_mmio_read8(u64 pa);
u16 platform_mmio_read16(u64 pa);
u32 platform_mmio_read32(u64 pa);
void platform_mmio_write8(u64 pa, u8 value);
void platform_mmio_write16(u64 pa, u16 value);
void platform_mmio_write32(u64 pa, u32 value);

/* ---- port I/O ------------------------------------------------------ */

u8 platform_inb(u16 port);
void platform_outb(u16 port, u8 value);
u16 platform_inw(u16 port);
void platform_outw(u16 port, u16 value);
u32 platform_inl(u16 port);
void platform_outl(u16 port, u32 value);

/* ---- memory shared with the host (DMA) ------------------------------
 * Zeroed, physically contiguous, page-aligned memory the device may read
 * and write. *dma_addr receives the address to give the device. In TDX
 * mode these pages are converted to shared; never put secrets in them and
 * never trust what you read back without copying it out first. */
void *platform_shared_alloc(size_t size, u64 *dma_addr);
void platform_shared_free(void *va, size_t size);

/* ---- time ------------------------------------------------------------ */

/* Calibrate the clock (CPUID 0x15/0x16 or the PIT) and read the RTC. */
void platform_time_init(void);

/* Monotonic nanoseconds since boot (TSC based). */
u64 platform_time_ns(void);

/* Wall clock, nanoseconds since the Unix epoch: the host's RTC at boot
 * plus monotonic time since. Untrusted: only for the app's clock. */
u64 platform_wallclock_ns(void);

/* TSC ticks per second as calibrated. */
u64 platform_tsc_hz(void);

/* ---- power --------------------------------------------------------- */

#define POWEROFF_APP_EXIT 0x10 /* after the EXIT / KILLED message (QEMU exits 33) */
#define POWEROFF_PANIC 0x20    /* after the PANIC message (QEMU exits 65) */

/* Power off through isa-debug-exit with code; halts forever if the host
 * ignores it. */
void platform_poweroff(u8 code) __attribute__((noreturn));

#endif
