/*
 * virtio_pci.h: the virtio-pci transport (virtio 1.x, section 4.1),
 * modern interface only: the common, notify, ISR and device config
 * structures found through vendor capabilities, in memory BARs the
 * kernel assigns (drivers/pci). Used on q35 (td.fd) and in a TD.
 *
 * Trust: config space and registers are host input. Each capability's
 * BAR, offset and length are checked against the BAR's size once, at
 * scan; notify offsets per queue and device-config reads are bounded by
 * their capability. Everything else is checked by the device layer.
 */
#ifndef CVMIFY_DRIVERS_VIRTIO_PCI_H
#define CVMIFY_DRIVERS_VIRTIO_PCI_H

/* Register every modern virtio device on PCI bus 0 with the device layer. */
void virtio_pci_scan(void);

#endif
