/*
 * pci.c: configuration space through ports 0xcf8/0xcfc and memory BAR
 * assignment (pci.h). Bus 0 only: QEMU's q35 puts every device we use
 * there (microvm has no PCI at all: the scan finds nothing).
 */
#include "drivers/pci/pci.h"
#include "lib/kprintf.h"
#include "platform/platform.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc
#define ENABLE (1u << 31)
#define BAR_IO 0x1
#define BAR_TYPE_MASK 0x6
#define BAR_TYPE_64 0x4
#define BAR_ADDR_MASK 0xfffffff0u
#define MIN_BAR_SIZE 16

static u64 g_next_bar = PCI_BAR_WINDOW_BASE;

static void select_reg(struct pci_addr a, u8 offset)
{
    platform_outl(CONFIG_ADDRESS, ENABLE | (u32)a.bus << 16 | (u32)(a.dev & 31) << 11 |
                                      (u32)(a.fn & 7) << 8 | (offset & 0xfc));
}

u32 pci_read32(struct pci_addr a, u8 offset)
{
    select_reg(a, offset);
    return platform_inl(CONFIG_DATA);
}

u16 pci_read16(struct pci_addr a, u8 offset)
{
    select_reg(a, offset);
    return platform_inw(CONFIG_DATA + (offset & 2));
}

u8 pci_read8(struct pci_addr a, u8 offset)
{
    select_reg(a, offset);
    return platform_inb(CONFIG_DATA + (offset & 3));
}

void pci_write32(struct pci_addr a, u8 offset, u32 value)
{
    select_reg(a, offset);
    platform_outl(CONFIG_DATA, value);
}

void pci_write16(struct pci_addr a, u8 offset, u16 value)
{
    select_reg(a, offset);
    platform_outw(CONFIG_DATA + (offset & 2), value);
}

u64 pci_bar_assign(struct pci_addr a, unsigned index, u64 *size)
{
    if (index >= PCI_BAR_COUNT)
        return 0;
    u8 reg = (u8)(PCI_BAR0 + 4 * index);
    u32 original = pci_read32(a, reg);
    if (original & BAR_IO)
        return 0;
    bool wide = (original & BAR_TYPE_MASK) == BAR_TYPE_64;
    if (wide && index + 1 >= PCI_BAR_COUNT)
        return 0;
    pci_write32(a, reg, 0xffffffff);
    u32 mask = pci_read32(a, reg) & BAR_ADDR_MASK;
    u32 high_mask = 0xffffffff;
    if (wide) {
        pci_write32(a, reg + 4, 0xffffffff);
        high_mask = pci_read32(a, reg + 4);
    }
    if (mask == 0 || high_mask != 0xffffffff) /* unused, or wants more than 4 GiB */
        return 0;
    u64 bar_size = (u64)(~mask) + 1;
    if (bar_size < MIN_BAR_SIZE || (bar_size & (bar_size - 1)) != 0)
        return 0;
    u64 base = ALIGN_UP(g_next_bar, bar_size);
    if (base + bar_size > PCI_BAR_WINDOW_END || base + bar_size < base) {
        kprintf("pci: %02x:%02x.%x BAR%u of %lx bytes does not fit\n", a.bus, a.dev, a.fn,
                index, bar_size);
        return 0;
    }
    pci_write32(a, reg, (u32)base);
    if (wide)
        pci_write32(a, reg + 4, 0);
    g_next_bar = base + bar_size;
    *size = bar_size;
    return base;
}

void pci_enable(struct pci_addr a)
{
    pci_write16(a, PCI_COMMAND, pci_read16(a, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

void pci_scan_bus0(void (*found)(struct pci_addr a, u16 vendor, u16 device))
{
    for (u8 dev = 0; dev < 32; dev++) {
        struct pci_addr a = { .bus = 0, .dev = dev, .fn = 0 };
        u32 id = pci_read32(a, PCI_VENDOR_ID);
        u16 vendor = (u16)id;
        if (vendor == 0xffff || vendor == 0)
            continue;
        found(a, vendor, (u16)(id >> 16));
    }
}
