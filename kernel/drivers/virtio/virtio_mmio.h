/*
 * virtio_mmio.h: the virtio-mmio transport (virtio 1.x, section 4.2),
 * modern interface (version 2) only, as QEMU microvm lays it out.
 *
 * Trust: registers are host-controlled. The transport only moves values
 * between registers and the device layer (virtio.h), which checks them;
 * it reads the identity registers once, at scan.
 */
#ifndef CVMIFY_DRIVERS_VIRTIO_MMIO_H
#define CVMIFY_DRIVERS_VIRTIO_MMIO_H

#include "lib/types.h"

/* QEMU microvm without ACPI: 8 transports at 0xfeb00000 + 512*n, each
 * wired to IOAPIC pin 5 + n (docs/boot-config.md). */
#define VIRTIO_MMIO_WINDOW_BASE 0xfeb00000ULL
#define VIRTIO_MMIO_SLOT_SIZE 512
#define VIRTIO_MMIO_SLOT_COUNT 8
#define VIRTIO_MMIO_IRQ_BASE 5

/* Register every modern device found in the window with the device layer. */
void virtio_mmio_scan(void);

#endif
