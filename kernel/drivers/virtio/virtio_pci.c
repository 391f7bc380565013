/*
 * virtio_pci.c: virtio-pci modern transport (virtio_pci.h). Register
 * layout (virtio 1.x, 4.1.4): a vendor capability per structure
 * {cap_vndr, cap_next, cap_len, cfg_type, bar, id, pad[2], offset,
 * length}, the notify capability followed by notify_off_multiplier; the
 * common configuration at fixed offsets below.
 *
 * Interrupts: a device on q35 has no line we route, so, if it has an
 * MSI-X capability, entry 0 of its table sends one vector to the boot
 * CPU for every queue (4.1.4.3 queue_msix_vector; PCI MSI-X: capability
 * 0x11, message control at +2, table BIR and offset at +4, 16-byte
 * entries {address low, address high, data, vector control}). Without
 * one the driver polls.
 */
#include "drivers/virtio/virtio_pci.h"
#include "drivers/virtio/virtio.h"
#include "drivers/pci/pci.h"
#include "lib/kprintf.h"
#include "lib/printf.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

#define VIRTIO_VENDOR 0x1af4
#define DEVICE_TRANSITIONAL_FIRST 0x1000
#define DEVICE_TRANSITIONAL_LAST 0x103f
#define DEVICE_MODERN_FIRST 0x1040
#define DEVICE_MODERN_LAST 0x107f

#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4
#define CAP_MIN_LEN 16
#define NOTIFY_CAP_LEN 20
#define MAX_CAPS 48 /* a capability list longer than this is a loop */

/* Common configuration (4.1.4.3). */
#define C_DEVICE_FEATURE_SELECT 0
#define C_DEVICE_FEATURE 4
#define C_DRIVER_FEATURE_SELECT 8
#define C_DRIVER_FEATURE 12
#define C_NUM_QUEUES 18
#define C_DEVICE_STATUS 20
#define C_CONFIG_GENERATION 21
#define C_QUEUE_SELECT 22
#define C_QUEUE_SIZE 24
#define C_QUEUE_ENABLE 28
#define C_QUEUE_NOTIFY_OFF 30
#define C_QUEUE_DESC 32
#define C_QUEUE_DRIVER 40
#define C_QUEUE_DEVICE 48
#define C_MSIX_CONFIG 16
#define C_QUEUE_MSIX_VECTOR 26
#define COMMON_MIN_LEN 56
#define NO_VECTOR 0xffff

/* MSI-X capability and table entry. */
#define MSIX_CAP_LEN 12
#define MSIX_CONTROL 2
#define MSIX_TABLE 4
#define MSIX_CONTROL_ENABLE 0x8000
#define MSIX_CONTROL_MASK_ALL 0x4000
#define MSIX_ENTRY_SIZE 16
#define MSIX_ADDRESS 0xfee00000u /* fixed delivery, physical destination */

#define MAX_PCI_DEVICES 8

struct region {
    u64 base;   /* physical address of the structure */
    u32 length;
};

struct pci_slot {
    struct virtio_dev dev;
    struct region common, notify, isr, device;
    u32 notify_multiplier;
    u16 num_queues;
    struct pci_addr addr;
    u8 msix_cap;          /* config offset of the MSI-X capability, 0: none */
    struct region msix;   /* its table's entry 0 */
};

static struct pci_slot g_slots[MAX_PCI_DEVICES];
static u32 g_slot_count;

static struct pci_slot *slot_of(struct virtio_dev *dev)
{
    return dev->transport_priv;
}

static u64 common(struct virtio_dev *dev, u32 offset)
{
    return slot_of(dev)->common.base + offset;
}

static u64 pci_device_features(struct virtio_dev *dev)
{
    platform_mmio_write32(common(dev, C_DEVICE_FEATURE_SELECT), 0);
    u64 low = platform_mmio_read32(common(dev, C_DEVICE_FEATURE));
    platform_mmio_write32(common(dev, C_DEVICE_FEATURE_SELECT), 1);
    u64 high = platform_mmio_read32(common(dev, C_DEVICE_FEATURE));
    return low | (high << 32);
}

static void pci_driver_features(struct virtio_dev *dev, u64 features)
{
    platform_mmio_write32(common(dev, C_DRIVER_FEATURE_SELECT), 0);
    platform_mmio_write32(common(dev, C_DRIVER_FEATURE), (u32)features);
    platform_mmio_write32(common(dev, C_DRIVER_FEATURE_SELECT), 1);
    platform_mmio_write32(common(dev, C_DRIVER_FEATURE), (u32)(features >> 32));
}

static u8 pci_get_status(struct virtio_dev *dev)
{
    return platform_mmio_read8(common(dev, C_DEVICE_STATUS));
}

static void pci_set_status(struct virtio_dev *dev, u8 status)
{
    platform_mmio_write8(common(dev, C_DEVICE_STATUS), status);
}

static u32 pci_config_generation(struct virtio_dev *dev)
{
    return platform_mmio_read8(common(dev, C_CONFIG_GENERATION));
}

static u32 pci_config_read(struct virtio_dev *dev, u32 offset, u32 width)
{
    struct region *r = &slot_of(dev)->device;
    if (offset > r->length || width > r->length - offset)
        return 0; /* beyond what the device exposes: reads as zero */
    u64 pa = r->base + offset;
    if (width == 1)
        return platform_mmio_read8(pa);
    if (width == 2)
        return platform_mmio_read16(pa);
    return platform_mmio_read32(pa);
}

static u32 pci_queue_max(struct virtio_dev *dev, u16 index)
{
    if (index >= slot_of(dev)->num_queues)
        return 0;
    platform_mmio_write16(common(dev, C_QUEUE_SELECT), index);
    if (platform_mmio_read16(common(dev, C_QUEUE_ENABLE)) != 0)
        return 0;
    return platform_mmio_read16(common(dev, C_QUEUE_SIZE));
}

static void write64(struct virtio_dev *dev, u32 offset, u64 value)
{
    platform_mmio_write32(common(dev, offset), (u32)value);
    platform_mmio_write32(common(dev, offset + 4), (u32)(value >> 32));
}

static int pci_queue_enable(struct virtio_dev *dev, u16 index, u16 size, u64 desc_phys,
                            u64 avail_phys, u64 used_phys)
{
    platform_mmio_write16(common(dev, C_QUEUE_SELECT), index);
    platform_mmio_write16(common(dev, C_QUEUE_SIZE), size);
    write64(dev, C_QUEUE_DESC, desc_phys);
    write64(dev, C_QUEUE_DRIVER, avail_phys);
    write64(dev, C_QUEUE_DEVICE, used_phys);
    platform_mmio_write16(common(dev, C_QUEUE_ENABLE), 1);
    return platform_mmio_read16(common(dev, C_QUEUE_ENABLE)) == 1 ? 0 : -EIO;
}

static void pci_queue_notify(struct virtio_dev *dev, u16 index)
{
    struct pci_slot *slot = slot_of(dev);
    platform_mmio_write16(common(dev, C_QUEUE_SELECT), index);
    u64 offset = (u64)platform_mmio_read16(common(dev, C_QUEUE_NOTIFY_OFF)) * slot->notify_multiplier;
    if (offset > slot->notify.length || slot->notify.length - offset < 2) {
        kprintf("virtio: %s notify offset %lx outside its capability\n", dev->name, offset);
        virtio_fail(dev);
        return;
    }
    platform_mmio_write16(slot->notify.base + offset, index);
}

static u32 pci_irq_ack(struct virtio_dev *dev)
{
    /* Reading the ISR status acknowledges it. */
    return platform_mmio_read8(slot_of(dev)->isr.base) & (VIRTIO_IRQ_QUEUE | VIRTIO_IRQ_CONFIG);
}

/* Route every live queue to MSI-X entry 0 = vector on apic_id. A device
 * that does not take the mapping (reads back another vector) is left
 * without queue interrupts, and the caller polls. */
static int pci_irq_msi(struct virtio_dev *dev, u8 vector, u32 apic_id)
{
    struct pci_slot *slot = slot_of(dev);
    if (slot->msix_cap == 0 || apic_id > 0xff)
        return -ENODEV;
    platform_mmio_write32(slot->msix.base + 0, MSIX_ADDRESS | (apic_id << 12));
    platform_mmio_write32(slot->msix.base + 4, 0);
    platform_mmio_write32(slot->msix.base + 8, vector); /* edge */
    platform_mmio_write32(slot->msix.base + 12, 0);     /* unmasked */
    u8 control = (u8)(slot->msix_cap + MSIX_CONTROL);
    u16 value = pci_read16(slot->addr, control);
    pci_write16(slot->addr, control, (u16)((value | MSIX_CONTROL_ENABLE) & ~MSIX_CONTROL_MASK_ALL));
    platform_mmio_write16(common(dev, C_MSIX_CONFIG), NO_VECTOR);
    for (u16 q = 0; q < slot->num_queues && q < VIRTIO_MAX_QUEUES; q++) {
        if (dev->queues[q] == NULL)
            continue;
        platform_mmio_write16(common(dev, C_QUEUE_SELECT), q);
        platform_mmio_write16(common(dev, C_QUEUE_MSIX_VECTOR), 0);
        if (platform_mmio_read16(common(dev, C_QUEUE_MSIX_VECTOR)) != 0)
            return -EIO;
    }
    return 0;
}

static const struct virtio_transport g_pci_transport = {
    .name = "virtio-pci",
    .device_features = pci_device_features,
    .driver_features = pci_driver_features,
    .get_status = pci_get_status,
    .set_status = pci_set_status,
    .config_generation = pci_config_generation,
    .config_read = pci_config_read,
    .queue_max = pci_queue_max,
    .queue_enable = pci_queue_enable,
    .queue_notify = pci_queue_notify,
    .irq_ack = pci_irq_ack,
    .irq_msi = pci_irq_msi,
};

/* Place the capability's BAR (assigning it on first use) and check that
 * the structure lies inside it. */
static bool map_region(struct pci_addr a, u64 bars[PCI_BAR_COUNT], u64 sizes[PCI_BAR_COUNT],
                       u8 bar, u32 offset, u32 length, struct region *out)
{
    if (bar >= PCI_BAR_COUNT || length == 0)
        return false;
    if (bars[bar] == 0)
        bars[bar] = pci_bar_assign(a, bar, &sizes[bar]);
    if (bars[bar] == 0 || offset > sizes[bar] || length > sizes[bar] - offset)
        return false;
    out->base = bars[bar] + offset;
    out->length = length;
    return true;
}

static bool read_caps(struct pci_addr a, struct pci_slot *slot)
{
    u64 bars[PCI_BAR_COUNT] = {0}, sizes[PCI_BAR_COUNT] = {0};
    bool have[5] = {false};
    if (!(pci_read16(a, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return false;
    u8 at = pci_read8(a, PCI_CAP_PTR) & 0xfc;
    for (int n = 0; at >= 0x40 && n < MAX_CAPS; n++) {
        u8 id = pci_read8(a, at), next = pci_read8(a, at + 1) & 0xfc;
        u8 len = pci_read8(a, at + 2), type = pci_read8(a, at + 3), bar = pci_read8(a, at + 4);
        u32 offset = pci_read32(a, at + 8), length = pci_read32(a, at + 12);
        if (id == PCI_CAP_MSIX && slot->msix_cap == 0 && at <= 0x100 - MSIX_CAP_LEN) {
            /* Entry 0 only; a table we cannot place just means polling. */
            u32 table = pci_read32(a, at + MSIX_TABLE);
            if (map_region(a, bars, sizes, table & 7, table & ~7u, MSIX_ENTRY_SIZE, &slot->msix))
                slot->msix_cap = at;
        }
        struct region *r = type == CAP_COMMON ? &slot->common : type == CAP_NOTIFY ? &slot->notify
                         : type == CAP_ISR ? &slot->isr : type == CAP_DEVICE ? &slot->device : NULL;
        /* The first capability of each type is the one to use (4.1.4). */
        if (id == PCI_CAP_VENDOR && len >= CAP_MIN_LEN && r != NULL && !have[type]) {
            if (type == CAP_NOTIFY) {
                if (len < NOTIFY_CAP_LEN)
                    return false;
                slot->notify_multiplier = pci_read32(a, at + 16);
            }
            if (!map_region(a, bars, sizes, bar, offset, length, r))
                return false;
            have[type] = true;
        }
        at = next;
    }
    return have[CAP_COMMON] && have[CAP_NOTIFY] && have[CAP_ISR] &&
           slot->common.length >= COMMON_MIN_LEN && slot->isr.length >= 1;
}

static u32 device_type(struct pci_addr a, u16 device)
{
    if (device >= DEVICE_MODERN_FIRST && device <= DEVICE_MODERN_LAST)
        return device - DEVICE_MODERN_FIRST;
    if (device >= DEVICE_TRANSITIONAL_FIRST && device <= DEVICE_TRANSITIONAL_LAST)
        return pci_read16(a, PCI_SUBSYSTEM_ID);
    return 0;
}

static void found(struct pci_addr a, u16 vendor, u16 device)
{
    if (vendor != VIRTIO_VENDOR || g_slot_count == MAX_PCI_DEVICES)
        return;
    u32 type = device_type(a, device);
    struct pci_slot *slot = &g_slots[g_slot_count];
    *slot = (struct pci_slot){.addr = a}; /* nothing left from a refused device */
    if (type == 0 || !read_caps(a, slot)) {
        kprintf("virtio: pci %02x:%02x.%x: not a usable modern device\n", a.bus, a.dev, a.fn);
        return;
    }
    pci_enable(a);
    struct virtio_dev *dev = &slot->dev;
    dev->transport = &g_pci_transport;
    dev->transport_priv = slot;
    dev->device_id = type;
    dev->irq = VIRTIO_NO_IRQ; /* no line: MSI-X (pci_irq_msi) or polled */
    slot->num_queues = platform_mmio_read16(slot->common.base + C_NUM_QUEUES);
    snprintf(dev->name, sizeof(dev->name), "virtio-pci@%02x:%02x.%x", a.bus, a.dev, a.fn);
    if (virtio_register(dev) == 0)
        g_slot_count++;
}

void virtio_pci_scan(void)
{
    pci_scan_bus0(found);
}
