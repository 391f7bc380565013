/*
 * netif_vnet.h: the lwIP network interface over a virtio-net device.
 * All calls under net_lock.
 */
#ifndef CVMIFY_NET_NETIF_VNET_H
#define CVMIFY_NET_NETIF_VNET_H

#include "lib/types.h"

struct netif;
struct vnet;

/* Add v as an lwIP interface (Ethernet, ARP, IPv6 ND/MLD), up, with no
 * addresses yet. */
int netif_vnet_add(struct netif *netif, struct vnet *v);

/* Feed up to budget received frames to lwIP; returns how many. */
int netif_vnet_input(struct netif *netif, int budget);

#endif
