/* udp_sock.h: UDP sockets over lwIP (udp_sock.c). */
#ifndef CVMIFY_NET_UDP_SOCK_H
#define CVMIFY_NET_UDP_SOCK_H

#include "lwip/pbuf.h"

struct socket;
struct msg_iter;

int udp_sock_create(int family, struct socket **out);

/* Fill the pbuf chain p from the iterator (p->tot_len bytes), or copy
 * its first n bytes to the iterator; 0 or -EFAULT. */
int pbuf_take_iter(struct pbuf *p, struct msg_iter *it);
int pbuf_give_iter(struct pbuf *p, struct msg_iter *it, u32 n);

#endif
