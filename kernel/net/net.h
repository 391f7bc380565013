/*
 * net.h: the network stack (lwIP, raw API) and its one device.
 *
 * lwIP runs without an OS layer: every call into it, and every callback
 * out of it, happens under net_lock, in process context with the big
 * kernel lock (so net_lock only guards against re-entry: nothing sleeps
 * while holding it). Its work (received frames, transmit completions,
 * loopback, TCP/IP timers) is done by net_poll, which the device's
 * interrupt handler and a kernel timer run; net_unlock delivers
 * loopback frames and notifies the device.
 *
 * Trust: frames come from the host and are hostile; the driver
 * (drivers/virtio/net.c) checks the device and copies each frame into
 * private memory, lwIP parses it from there. The wire itself belongs to
 * the host: confidentiality and integrity there are the app's job (TLS).
 */
#ifndef CVMIFY_NET_NET_H
#define CVMIFY_NET_NET_H

#include "config/config.h"
#include "lib/types.h"

/* Bring up lwIP, loopback and the first virtio-net device (if there is
 * one) with the addresses in cfg->net; name the guest; serve /etc files
 * if the config says so. Without a device only loopback works, like
 * docker's --network none. Needs the root filesystem. */
void net_init(const struct boot_config *cfg);

/* Whether a virtio-net device is up. */
bool net_has_device(void);

/* Do the network's pending work. Never blocks; takes net_lock itself;
 * process context (deferred work, a syscall). */
void net_poll(void);

/* The lock around lwIP. Not recursive; never held across a sleep.
 * net_unlock first finishes what the caller started (loopback frames,
 * device notification, the timer). */
void net_lock(void);
void net_unlock(void);
bool net_locked(void);

#endif
