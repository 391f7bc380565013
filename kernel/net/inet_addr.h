/*
 * inet_addr.h: sockaddr_in / sockaddr_in6 to lwIP addresses and back.
 * Sockets of AF_INET6 are dual-stack unless IPV6_V6ONLY: IPv4 peers
 * appear as IPv4-mapped IPv6 addresses (::ffff:a.b.c.d), as on Linux.
 * Needs lwIP's headers.
 */
#ifndef CVMIFY_NET_INET_ADDR_H
#define CVMIFY_NET_INET_ADDR_H

#include "lwip/ip_addr.h"
#include "net/socket.h"

/* Parse what user space gave an AF_INET or AF_INET6 socket. A v4-mapped
 * IPv6 address becomes IPv4 (*mapped), or -EINVAL on a v6only socket.
 * 0, -EINVAL (too short), -EAFNOSUPPORT (wrong family). */
int inet_addr_in(int family, bool v6only, const struct sockaddr_any *sa, ip_addr_t *ip,
                 u16 *port, bool *mapped);

/* inet_addr_in for socket s with its v6only setting; the mapped flag
 * is dropped. */
int inet_sock_addr(const struct socket *s, bool v6only, const struct sockaddr_any *sa,
                   ip_addr_t *ip, u16 *port);

/* The address as the socket's family shows it. */
void inet_addr_out(int family, const ip_addr_t *ip, u16 port, struct sockaddr_any *sa);

/* The wildcard address of a socket: IPv4 any, IPv6 any, or both. */
void inet_addr_any(int family, bool v6only, ip_addr_t *ip);

#endif
