/*
 * pci.h: PCI configuration space (legacy mechanism #1: ports 0xcf8/0xcfc,
 * through platform_in/out, so it works in a TD) and memory BARs, which
 * the kernel assigns itself: td.fd boots without firmware, so nobody
 * else does.
 *
 * Trust: every value read from config space is host input. Callers check
 * what they use; BAR sizes are checked here (a power of two, at least
 * 16 bytes, fitting the window).
 */
#ifndef CVMIFY_DRIVERS_PCI_H
#define CVMIFY_DRIVERS_PCI_H

#include "lib/types.h"

/* Memory BARs go into [PCI_BAR_WINDOW_BASE, PCI_BAR_WINDOW_END): inside
 * the platform's device window, below q35's IOAPIC and microvm's
 * virtio-mmio slots. */
#define PCI_BAR_WINDOW_BASE 0xfe000000ULL
#define PCI_BAR_WINDOW_END 0xfeb00000ULL

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAP_PTR 0x34

#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_VENDOR 0x09
#define PCI_CAP_MSIX 0x11
#define PCI_BAR_COUNT 6

struct pci_addr {
    u8 bus;
    u8 dev;
    u8 fn;
};

u32 pci_read32(struct pci_addr a, u8 offset);
u16 pci_read16(struct pci_addr a, u8 offset);
u8 pci_read8(struct pci_addr a, u8 offset);
void pci_write32(struct pci_addr a, u8 offset, u32 value);
void pci_write16(struct pci_addr a, u8 offset, u16 value);

/* Size memory BAR `index`, place it in the BAR window (aligned to its
 * size) and program it. *size gets its size. Returns the physical base,
 * or 0 if the BAR is unused, an I/O BAR, malformed, or does not fit. */
u64 pci_bar_assign(struct pci_addr a, unsigned index, u64 *size);

/* Turn on memory decoding and bus mastering. */
void pci_enable(struct pci_addr a);

/* Call found(a, vendor, device) for every function 0 present on bus 0. */
void pci_scan_bus0(void (*found)(struct pci_addr a, u16 vendor, u16 device));

#endif
