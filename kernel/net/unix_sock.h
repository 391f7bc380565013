/*
 * unix_sock.h: AF_UNIX sockets (stream, seqpacket, datagram), for socket(2) and
 * socketpair(2). They never touch the network stack.
 */
#ifndef CVMIFY_NET_UNIX_SOCK_H
#define CVMIFY_NET_UNIX_SOCK_H

struct socket;

int unix_socket_create(int type, int protocol, struct socket **out);
/* Two sockets of type connected to each other. */
int unix_socketpair(int type, int protocol, struct socket **a, struct socket **b);

#endif
