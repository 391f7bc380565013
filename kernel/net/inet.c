/*
 * inet.c: AF_INET and AF_INET6 sockets: which protocol serves a
 * socket(2) call, and copies between lwIP's pbufs and a msg_iter.
 */
#include "lib/kprintf.h"
#include "net/msg_iter.h"
#include "net/socket.h"
#include "net/socket_families.h"
#include "net/tcp_sock.h"
#include "net/udp_sock.h"
#include "syscalls/linux_abi/errno.h"

int inet_socket_create(int family, int type, int protocol, struct socket **out)
{
	switch (type) {
	case SOCK_STREAM:
		if (protocol != 0 && protocol != IPPROTO_TCP)
			return -EPROTONOSUPPORT;
		return tcp_sock_create(family, out);
	case SOCK_DGRAM:
		if (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6) {
			kprintf("net: ICMP (ping) sockets are not supported\n");
			return -EPROTONOSUPPORT;
		}
		if (protocol != 0 && protocol != IPPROTO_UDP)
			return -EPROTONOSUPPORT;
		return udp_sock_create(family, out);
	case SOCK_RAW:
		kprintf("net: raw sockets are not supported\n");
		return -EPROTONOSUPPORT;
	default:
		return -ESOCKTNOSUPPORT;
	}
}

int pbuf_take_iter(struct pbuf *p, struct msg_iter *it)
{
	for (struct pbuf *q = p; q != NULL; q = q->next) {
		if (msg_iter_take(it, q->payload, q->len) != 0)
			return -EFAULT;
	}
	return 0;
}

int pbuf_give_iter(struct pbuf *p, struct msg_iter *it, u32 n)
{
	for (struct pbuf *q = p; q != NULL && n > 0; q = q->next) {
		u32 step = q->len < n ? q->len : n;
		if (msg_iter_give(it, q->payload, step) != 0)
			return -EFAULT;
		n -= step;
	}
	return 0;
}
