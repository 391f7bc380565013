/*
 * net.h: virtio-net devices (virtio 1.x, 5.1), one receive and one
 * transmit queue each, no offloads: plain Ethernet frames of at most
 * VNET_FRAME_MAX bytes.
 *
 * Trust: the device is the host. Frames are copied out of shared receive
 * buffers into the caller's private buffer before anything looks at them;
 * the virtio-net header is checked from that copy; ring values are
 * checked in virtqueue.c. A rule violation (a short or offloaded frame we
 * never allowed, a broken ring) breaks the device for good: every later
 * call returns -EIO. Frames leave through shared transmit buffers that
 * hold nothing but the frame. Callers serialise calls per device (the
 * network stack's lock); this file builds on the host too (the fuzzer).
 */
#ifndef CVMIFY_DRIVERS_VIRTIO_NET_H
#define CVMIFY_DRIVERS_VIRTIO_NET_H

#include "lib/types.h"

#define VNET_HDR_SIZE 12          /* struct virtio_net_hdr with num_buffers */
#define VNET_FRAME_MIN 14         /* an Ethernet header */
#define VNET_FRAME_MAX 1518       /* 1500 + header + a VLAN tag */
#define VNET_MAC_SIZE 6

struct vnet;
struct virtio_dev;

/* One piece of a frame to send (private memory). */
struct vnet_seg {
	const void *data;
	size_t size;
};

/* Counters for the log and tests. */
struct vnet_stats {
	u64 rx_frames;
	u64 rx_dropped;     /* runts and giants: dropped, the device stays */
	u64 tx_frames;
	u64 tx_busy;        /* no transmit buffer free: frame dropped */
};

/* Claim the next virtio-net device and bring it up with its receive
 * buffers posted. The MAC is the device's if it offers a sane unicast
 * one, else a random locally administered one. 0, -ENODEV, -EIO, -ENOMEM. */
int vnet_probe(struct vnet **out);

/* Bring up dev (already claimed) as vnet_probe does; for tests. */
int vnet_attach(struct virtio_dev *dev, struct vnet **out);

/* Reset the device and free everything v holds (a failed attach, the
 * fuzzer); the device stays claimed. */
void vnet_release(struct vnet *v);

void vnet_mac(const struct vnet *v, u8 mac[VNET_MAC_SIZE]);

/* Take one received frame: copies it into buf (cap >= VNET_FRAME_MAX)
 * and reposts the buffer. Returns the frame's length, 0 when none is
 * waiting, -EIO when the device is broken. Frames shorter than
 * VNET_FRAME_MIN or longer than VNET_FRAME_MAX are dropped and counted. */
long vnet_receive(struct vnet *v, void *buf, size_t cap);

/* Send one frame made of count segments (total VNET_FRAME_MIN ..
 * VNET_FRAME_MAX bytes). 0, -EAGAIN (every transmit buffer is in
 * flight: the frame is dropped), -EMSGSIZE, -EIO (broken). */
int vnet_transmit(struct vnet *v, const struct vnet_seg *segs, size_t count);

/* Tell the device about receive buffers and frames posted since the
 * last flush (one notification per batch). */
void vnet_flush(struct vnet *v);

/* Interrupts for received frames on (the caller is about to sleep) or
 * off (it polls). On: also returns true if a frame is already waiting,
 * so the caller does not sleep past it. */
bool vnet_rx_interrupts(struct vnet *v, bool on);

/* Acknowledge the device's interrupt (from the interrupt handler). */
void vnet_irq_ack(struct vnet *v);

/* The interrupt line (GSI), or VIRTIO_NO_IRQ. */
u32 vnet_irq(const struct vnet *v);

/* Without a line: have the device signal vector to apic_id as a message
 * (virtio_irq_msi). 0 or -errno. */
int vnet_irq_msi(struct vnet *v, u8 vector, u32 apic_id);

bool vnet_is_broken(const struct vnet *v);
const struct vnet_stats *vnet_stats(const struct vnet *v);

#endif
