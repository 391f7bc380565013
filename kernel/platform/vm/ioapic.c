/*
 * ioapic.c: the I/O APIC that turns device lines (GSIs) into interrupt
 * vectors on a CPU. QEMU's microvm has one at the architectural address
 * 0xfec00000: ISA devices use their ISA IRQ as the GSI (the COM1 UART
 * is GSI 4), and virtio-mmio transport n (at 0xfeb00000 + n * 0x200) is
 * GSI 5 + n when the machine has no ACPI, as our launcher sets it
 * (docs/boot-config.md; QEMU's hw/i386/microvm.c; checked by booting:
 * the root disk, transport 7 at 0xfeb00e00, interrupts on GSI 12).
 * Every line starts masked.
 *
 * Trust: the entry count comes from the host's version register and is
 * bounded; the index/data register pair is used under a lock because
 * two CPUs must not interleave their accesses.
 */
#include "platform/platform.h"
#include "arch/x86_64/spinlock.h"
#include "lib/kprintf.h"
#include "syscalls/linux_abi/errno.h"

#define IOAPIC_BASE 0xfec00000ULL
#define IOREGSEL 0x00
#define IOWIN 0x10
#define REG_VERSION 0x01
#define REG_REDIR_LOW(n) (0x10 + 2 * (n))
#define REG_REDIR_HIGH(n) (0x11 + 2 * (n))
#define REDIR_MASKED (1u << 16)
#define REDIR_LEVEL (1u << 15)
#define MAX_LINES 240

static struct spinlock g_ioapic_lock = SPINLOCK_INIT("ioapic");
static u32 g_lines;

static u32 ioapic_read(u32 reg)
{
    platform_mmio_write32(IOAPIC_BASE + IOREGSEL, reg);
    return platform_mmio_read32(IOAPIC_BASE + IOWIN);
}

static void ioapic_write(u32 reg, u32 value)
{
    platform_mmio_write32(IOAPIC_BASE + IOREGSEL, reg);
    platform_mmio_write32(IOAPIC_BASE + IOWIN, value);
}

void platform_ioapic_init(void)
{
    u64 flags = spin_lock_irqsave(&g_ioapic_lock);
    u32 version = ioapic_read(REG_VERSION);
    u32 lines = ((version >> 16) & 0xff) + 1;
    if (version == 0xffffffffu)
        lines = 0; /* nothing there: a floating bus */
    g_lines = lines > MAX_LINES ? MAX_LINES : lines;
    for (u32 n = 0; n < g_lines; n++) {
        ioapic_write(REG_REDIR_LOW(n), REDIR_MASKED);
        ioapic_write(REG_REDIR_HIGH(n), 0);
    }
    spin_unlock_irqrestore(&g_ioapic_lock, flags);
    kprintf("ioapic: %u lines\n", g_lines);
}

int platform_irq_route(u32 gsi, u8 vector, u32 apic_id, bool level)
{
    if (gsi >= g_lines || apic_id > 0xff)
        return -EINVAL;
    u64 flags = spin_lock_irqsave(&g_ioapic_lock);
    ioapic_write(REG_REDIR_HIGH(gsi), apic_id << 24);
    /* Fixed delivery, physical destination, active high. */
    ioapic_write(REG_REDIR_LOW(gsi), vector | (level ? REDIR_LEVEL : 0));
    spin_unlock_irqrestore(&g_ioapic_lock, flags);
    return 0;
}

void platform_irq_mask(u32 gsi, bool masked)
{
    if (gsi >= g_lines)
        return;
    u64 flags = spin_lock_irqsave(&g_ioapic_lock);
    u32 low = ioapic_read(REG_REDIR_LOW(gsi));
    low = masked ? (low | REDIR_MASKED) : (low & ~REDIR_MASKED);
    ioapic_write(REG_REDIR_LOW(gsi), low);
    spin_unlock_irqrestore(&g_ioapic_lock, flags);
}
