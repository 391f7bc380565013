/*
 * lwip_port.h: what lwipopts.h and arch/cc.h name from the kernel side
 * (net/lwip_port.c): heap, clock, random ISNs.
 */
#ifndef CVMIFY_LWIP_PORT_H
#define CVMIFY_LWIP_PORT_H

#include <stddef.h>
#include <stdint.h>

struct ip_addr;

void *kmalloc(size_t size);
void kfree(void *p);
void *lwip_port_calloc(size_t count, size_t size);

/* RFC 6528 initial sequence number for a connection's 4-tuple. */
uint32_t lwip_port_tcp_isn(const struct ip_addr *local_ip, uint16_t local_port,
                           const struct ip_addr *remote_ip, uint16_t remote_port);

#endif
