/*
 * lwip_port.h: what lwipopts.h and arch/cc.h name from the kernel side
 * (net/lwip_port.c): heap, clock, random ISNs, the IPv6 gateway.
 */
#ifndef CVMIFY_LWIP_PORT_H
#define CVMIFY_LWIP_PORT_H

#include <stddef.h>
#include <stdint.h>

struct ip_addr;
struct ip6_addr;
struct netif;

void *kmalloc(size_t size);
void kfree(void *p);
void *lwip_port_calloc(size_t count, size_t size);

/* RFC 6528 initial sequence number for a connection's 4-tuple. */
uint32_t lwip_port_tcp_isn(const struct ip_addr *local_ip, uint16_t local_port,
                           const struct ip_addr *remote_ip, uint16_t remote_port);

/* The IPv6 gateway from the NET record (:: for none), and lwIP's hook
 * asking for it (LWIP_HOOK_ND6_GET_GW): NULL means routers learnt from
 * advertisements. */
void lwip_port_set_gateway6(const uint8_t addr[16], struct netif *netif);
const struct ip6_addr *lwip_port_nd6_gateway(struct netif *netif, const struct ip6_addr *dest);

#endif
