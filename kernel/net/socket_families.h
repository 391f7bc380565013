/*
 * socket_families.h: how socket_create reaches each family.
 */
#ifndef CVMIFY_NET_SOCKET_FAMILIES_H
#define CVMIFY_NET_SOCKET_FAMILIES_H

struct socket;

/* AF_INET / AF_INET6: SOCK_STREAM (TCP) and SOCK_DGRAM (UDP) over lwIP. */
int inet_socket_create(int family, int type, int protocol, struct socket **out);
/* AF_UNIX: SOCK_STREAM, SOCK_SEQPACKET and SOCK_DGRAM. */
int unix_socket_create(int type, int protocol, struct socket **out);

#endif
