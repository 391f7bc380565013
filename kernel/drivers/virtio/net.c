/*
 * net.c: virtio-net, one queue pair, no offloads (see net.h for the
 * rules). Receive buffers and transmit buffers are fixed slots in two
 * shared regions; which slot a completion names comes from our private
 * cookie, never from the device.
 */
#include "drivers/virtio/net.h"
#include "drivers/random/random.h"
#include "drivers/virtio/virtio.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

/* Feature bits (virtio 1.x, 5.1.3). */
#define VIRTIO_NET_F_MAC 5

#define VNET_RX_QUEUE 0
#define VNET_TX_QUEUE 1
#define VNET_QUEUE_SIZE 256
#define VNET_BUF_SIZE 2048        /* one slot: header + frame, with room */
#define VNET_CONFIG_MAC 0

/* The header as the device lays it out (virtio 1.x, 5.1.6). */
struct vnet_hdr {
	u8 flags;
	u8 gso_type;
	u16 hdr_len;
	u16 gso_size;
	u16 csum_start;
	u16 csum_offset;
	u16 num_buffers;
};
_Static_assert(sizeof(struct vnet_hdr) == VNET_HDR_SIZE, "virtio-net header layout");

struct vnet {
	struct virtio_dev *dev;
	struct virtqueue *rxq;
	struct virtqueue *txq;
	u8 mac[VNET_MAC_SIZE];
	bool broken;
	u16 rx_count;             /* receive slots */
	u16 tx_count;             /* transmit slots */
	u8 *rx_bufs;              /* shared: rx_count slots */
	u64 rx_dma;
	u8 *tx_bufs;              /* shared: tx_count slots */
	u64 tx_dma;
	u16 *tx_free;             /* private stack of free transmit slots */
	u16 tx_free_count;
	struct vnet_stats stats;
};

static int vnet_break(struct vnet *v, const char *why)
{
	if (!v->broken)
		kprintf("virtio-net: %s: %s; network disabled\n", v->dev->name, why);
	v->broken = true;
	virtio_fail(v->dev);
	return -EIO;
}

/* Cookies are slot numbers + 1, so that none is NULL. */
static void *slot_cookie(u16 slot)
{
	return (void *)(uptr)(slot + 1u);
}

static u16 cookie_slot(void *cookie)
{
	return (u16)((uptr)cookie - 1u);
}

static int post_rx(struct vnet *v, u16 slot)
{
	struct vq_buf buf = { v->rx_dma + (u64)slot * VNET_BUF_SIZE, VNET_BUF_SIZE };
	int err = vq_add(v->rxq, &buf, 0, 1, slot_cookie(slot));
	return err < 0 ? vnet_break(v, "cannot post a receive buffer") : 0;
}

static bool mac_usable(const u8 mac[VNET_MAC_SIZE])
{
	static const u8 zero[VNET_MAC_SIZE];
	return (mac[0] & 1) == 0 && memcmp(mac, zero, VNET_MAC_SIZE) != 0;
}

static void pick_mac(struct vnet *v)
{
	if (virtio_has_feature(v->dev, VIRTIO_NET_F_MAC) &&
	    virtio_config_read(v->dev, VNET_CONFIG_MAC, v->mac, VNET_MAC_SIZE) == 0 &&
	    mac_usable(v->mac))
		return;
	random_bytes(v->mac, VNET_MAC_SIZE);
	v->mac[0] = (u8)((v->mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

static int alloc_slots(struct vnet *v)
{
	v->rx_count = v->rxq->size;
	v->tx_count = v->txq->size;
	v->rx_bufs = platform_shared_alloc((size_t)v->rx_count * VNET_BUF_SIZE, &v->rx_dma);
	v->tx_bufs = platform_shared_alloc((size_t)v->tx_count * VNET_BUF_SIZE, &v->tx_dma);
	v->tx_free = kmalloc(v->tx_count * sizeof(u16));
	if (v->rx_bufs == NULL || v->tx_bufs == NULL || v->tx_free == NULL)
		return -ENOMEM;
	for (u16 i = 0; i < v->tx_count; i++)
		v->tx_free[i] = i;
	v->tx_free_count = v->tx_count;
	return 0;
}

void vnet_release(struct vnet *v)
{
	virtio_reset(v->dev);  /* the device stops before its memory goes */
	if (v->rx_bufs != NULL)
		platform_shared_free(v->rx_bufs, (size_t)v->rx_count * VNET_BUF_SIZE);
	if (v->tx_bufs != NULL)
		platform_shared_free(v->tx_bufs, (size_t)v->tx_count * VNET_BUF_SIZE);
	kfree(v->tx_free);
	kfree(v);
}

/* Negotiate, queues, buffers, MAC; receive buffers posted. */
static int bring_up(struct vnet *v)
{
	int err = virtio_negotiate(v->dev, 0, 1ULL << VIRTIO_NET_F_MAC);
	if (err < 0)
		return err;
	v->rxq = virtio_queue_setup(v->dev, VNET_RX_QUEUE, VNET_QUEUE_SIZE);
	v->txq = virtio_queue_setup(v->dev, VNET_TX_QUEUE, VNET_QUEUE_SIZE);
	if (v->rxq == NULL || v->txq == NULL)
		return vnet_break(v, "no queue pair");
	err = alloc_slots(v);
	if (err < 0)
		return err;
	pick_mac(v);
	virtio_driver_ok(v->dev);
	for (u16 i = 0; i < v->rx_count; i++) {
		if (post_rx(v, i) < 0)
			return -EIO;
	}
	vq_kick(v->rxq);
	return 0;
}

int vnet_attach(struct virtio_dev *dev, struct vnet **out)
{
	struct vnet *v = kzalloc(sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	v->dev = dev;
	int err = bring_up(v);
	if (err < 0) {
		vnet_release(v);
		return err;
	}
	kprintf("virtio-net: %s mac %02x:%02x:%02x:%02x:%02x:%02x, %u rx / %u tx buffers\n",
	        dev->name, v->mac[0], v->mac[1], v->mac[2], v->mac[3], v->mac[4], v->mac[5],
	        v->rx_count, v->tx_count);
	*out = v;
	return 0;
}

int vnet_probe(struct vnet **out)
{
	struct virtio_dev *dev = virtio_claim(VIRTIO_DEVICE_NET);
	if (dev == NULL)
		return -ENODEV;
	return vnet_attach(dev, out);
}

void vnet_mac(const struct vnet *v, u8 mac[VNET_MAC_SIZE])
{
	memcpy(mac, v->mac, VNET_MAC_SIZE);
}

/* The header from our private copy: without offloads the device must
 * set no flags and no GSO type. num_buffers should be 1 without mergeable
 * buffers; QEMU leaves it 0, so both are accepted (we never use it). */
static bool header_allowed(const struct vnet_hdr *h)
{
	return h->flags == 0 && h->gso_type == 0 && h->num_buffers <= 1;
}

long vnet_receive(struct vnet *v, void *buf, size_t cap)
{
	if (v->broken)
		return -EIO;
	if (cap < VNET_FRAME_MAX)
		return -EINVAL;
	for (;;) {
		void *cookie = NULL;
		u32 written = 0;
		int got = vq_poll(v->rxq, &cookie, &written);
		if (got < 0)
			return vnet_break(v, "device broke a receive-queue rule");
		if (got == 0)
			return 0;
		/* written <= VNET_BUF_SIZE: checked by the virtqueue. */
		u16 slot = cookie_slot(cookie);
		const u8 *shared = v->rx_bufs + (size_t)slot * VNET_BUF_SIZE;
		if (written < VNET_HDR_SIZE)
			return vnet_break(v, "receive shorter than its header");
		struct vnet_hdr hdr;
		memcpy(&hdr, shared, sizeof(hdr));
		u32 frame_len = written - VNET_HDR_SIZE;
		bool keep = frame_len >= VNET_FRAME_MIN && frame_len <= VNET_FRAME_MAX;
		if (keep)
			memcpy(buf, shared + VNET_HDR_SIZE, frame_len);
		if (!header_allowed(&hdr))
			return vnet_break(v, "offloads we never negotiated");
		if (post_rx(v, slot) < 0)
			return -EIO;
		if (keep) {
			v->stats.rx_frames++;
			return frame_len;
		}
		v->stats.rx_dropped++;
	}
}

/* Take back transmit slots the device is done with. */
static int reclaim_tx(struct vnet *v)
{
	for (;;) {
		void *cookie = NULL;
		u32 written = 0;
		int got = vq_poll(v->txq, &cookie, &written);
		if (got < 0)
			return vnet_break(v, "device broke a transmit-queue rule");
		if (got == 0)
			return 0;
		v->tx_free[v->tx_free_count++] = cookie_slot(cookie);
	}
}

int vnet_transmit(struct vnet *v, const struct vnet_seg *segs, size_t count)
{
	if (v->broken)
		return -EIO;
	size_t total = 0;
	for (size_t i = 0; i < count; i++) {
		if (segs[i].size > VNET_FRAME_MAX - total)
			return -EMSGSIZE;
		total += segs[i].size;
	}
	if (total < VNET_FRAME_MIN)
		return -EMSGSIZE;
	if (v->tx_free_count == 0 && reclaim_tx(v) < 0)
		return -EIO;
	if (v->tx_free_count == 0) {
		v->stats.tx_busy++;
		return -EAGAIN;
	}
	u16 slot = v->tx_free[--v->tx_free_count];
	u8 *shared = v->tx_bufs + (size_t)slot * VNET_BUF_SIZE;
	memset(shared, 0, VNET_HDR_SIZE);
	size_t off = VNET_HDR_SIZE;
	for (size_t i = 0; i < count; i++) {
		memcpy(shared + off, segs[i].data, segs[i].size);
		off += segs[i].size;
	}
	struct vq_buf buf = { v->tx_dma + (u64)slot * VNET_BUF_SIZE, (u32)off };
	if (vq_add(v->txq, &buf, 1, 0, slot_cookie(slot)) < 0)
		return vnet_break(v, "cannot queue a frame");
	v->stats.tx_frames++;
	return 0;
}

void vnet_flush(struct vnet *v)
{
	if (v->broken)
		return;
	vq_kick(v->txq);
	vq_kick(v->rxq);
	if (reclaim_tx(v) < 0)
		return;
}

bool vnet_rx_interrupts(struct vnet *v, bool on)
{
	if (v->broken)
		return on;
	vq_interrupts(v->rxq, on);
	return on && vq_has_pending(v->rxq);
}

void vnet_irq_ack(struct vnet *v)
{
	virtio_irq_ack(v->dev);
}

u32 vnet_irq(const struct vnet *v)
{
	return v->dev->irq;
}

int vnet_irq_msi(struct vnet *v, u8 vector, u32 apic_id)
{
	return virtio_irq_msi(v->dev, vector, apic_id);
}

bool vnet_is_broken(const struct vnet *v)
{
	return v->broken;
}

const struct vnet_stats *vnet_stats(const struct vnet *v)
{
	return &v->stats;
}
