/*
 * udp_sock.c: UDP sockets over lwIP's raw API. Received datagrams wait
 * in a queue bounded by SO_RCVBUF (more are dropped, as on Linux); each
 * keeps lwIP's pbuf and its source address. Every field and lwIP call
 * is under net_lock.
 */
#include "lib/kprintf.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "net/inet_addr.h"
#include "net/msg_iter.h"
#include "net/net.h"
#include "net/reuseport.h"
#include "net/socket.h"
#include "net/udp_sock.h"
#include "syscalls/linux_abi/errno.h"

#include "lwip/udp.h"

#define UDP_MAX_PAYLOAD 65507  /* 65535 - IPv4 header - UDP header */

struct udp_dgram {
	struct udp_dgram *next;
	struct pbuf *p;
	ip_addr_t from;
	u16 port;
};

struct udp_sock {
	struct udp_pcb *pcb;
	bool v6only;
	bool connected;
	bool shut_rd, shut_wr;
	struct udp_dgram *head, *tail;
	u64 queued;                 /* bytes in the queue */
	u64 dropped;
	struct reuseport_group *group;  /* SO_REUSEPORT, reuseport.c */
};

static struct udp_sock *udp_of(struct socket *s)
{
	return s->priv;
}

/* A group member that takes datagrams from any peer. */
static bool takes_any_peer(struct socket *s)
{
	return !udp_of(s)->connected;
}

static void on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                    u16_t port)
{
	struct socket *s = arg;
	struct udp_sock *u = udp_of(s);
	(void)pcb;
	if (u->group != NULL && !u->connected) {  /* lwIP picked any member: spread by peer */
		struct socket *to = reuseport_udp_pick(u->group, addr, port, takes_any_peer);
		if (to != NULL) {
			s = to;
			u = udp_of(s);
		}
	}
	struct udp_dgram *d = NULL;
	if (!u->shut_rd && u->queued + p->tot_len <= s->rcvbuf)
		d = kmalloc(sizeof(*d));
	if (d == NULL) {
		u->dropped++;
		pbuf_free(p);
		return;
	}
	d->next = NULL;
	d->p = p;
	ip_addr_copy(d->from, *addr);
	d->port = port;
	if (u->tail != NULL)
		u->tail->next = d;
	else
		u->head = d;
	u->tail = d;
	u->queued += p->tot_len;
	socket_wake(s, VFS_POLLIN);
}

static void udp_release(struct socket *s)
{
	struct udp_sock *u = udp_of(s);
	if (u == NULL)
		return;
	net_lock();
	if (u->group != NULL)
		reuseport_udp_leave(u->group, s);
	if (u->pcb != NULL)
		udp_remove(u->pcb);
	while (u->head != NULL) {
		struct udp_dgram *d = u->head;
		u->head = d->next;
		pbuf_free(d->p);
		kfree(d);
	}
	net_unlock();
	kfree(u);
	s->priv = NULL;
}

static int udp_bind_op(struct socket *s, const struct sockaddr_any *addr)
{
	struct udp_sock *u = udp_of(s);
	ip_addr_t ip;
	u16 port;
	int err = inet_sock_addr(s, u->v6only, addr, &ip, &port);
	if (err)
		return err;
	net_lock();
	if (u->pcb->local_port != 0) {
		net_unlock();
		return -EINVAL;
	}
	if (s->family == AF_INET6 && ip_addr_isany(&ip) && !IP_IS_V4(&ip))
		inet_addr_any(s->family, u->v6only, &ip);
	struct reuseport_group *group;
	err = reuseport_lookup(IPPROTO_UDP, s, &ip, port, &group);
	if (err) {
		net_unlock();
		return err;
	}
	/* Members share the port in lwIP through SOF_REUSEADDR; the lookup
	 * above keeps everyone else out. */
	if (s->reuseaddr || s->reuseport)
		ip_set_option(u->pcb, SOF_REUSEADDR);
	err_t e = udp_bind(u->pcb, &ip, port);
	if (e == ERR_OK && s->reuseport) {
		u->group = reuseport_udp_add(group, s, &ip, u->pcb->local_port);  /* the address as looked up */
		if (u->group == NULL)
			err = -ENOMEM;
	}
	net_unlock();
	if (err)
		return err;
	if (e == ERR_USE)
		return -EADDRINUSE;
	return e == ERR_OK ? 0 : -EADDRNOTAVAIL;
}

static int udp_connect_op(struct socket *s, const struct sockaddr_any *addr)
{
	struct udp_sock *u = udp_of(s);
	if (addr->len >= sizeof(u16) && addr->family == AF_UNSPEC) {
		net_lock();
		udp_disconnect(u->pcb);
		u->connected = false;
		net_unlock();
		return 0;
	}
	ip_addr_t ip;
	u16 port;
	int err = inet_sock_addr(s, u->v6only, addr, &ip, &port);
	if (err)
		return err;
	net_lock();
	if (ip_addr_isany(&ip))
		ip_addr_set_loopback(IP_IS_V6(&ip), &ip);
	err_t e = udp_connect(u->pcb, &ip, port);
	u->connected = e == ERR_OK;
	net_unlock();
	return e == ERR_OK ? 0 : -ENETUNREACH;
}

static long udp_send_op(struct socket *s, struct sock_msg *m)
{
	struct udp_sock *u = udp_of(s);
	ip_addr_t ip;
	u16 port = 0;
	if (m->name != NULL) {
		int err = inet_sock_addr(s, u->v6only, m->name, &ip, &port);
		if (err)
			return err;
	}
	u64 len = msg_iter_left(m->data);
	if (len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16)len, PBUF_RAM);
	if (p == NULL)
		return -ENOBUFS;
	if (pbuf_take_iter(p, m->data) != 0) {
		pbuf_free(p);
		return -EFAULT;
	}
	net_lock();
	err_t e;
	if (u->shut_wr) {
		e = ERR_CLSD;
	} else if (m->name != NULL) {
		if (ip_addr_isany(&ip))
			ip_addr_set_loopback(IP_IS_V6(&ip), &ip);
		e = udp_sendto(u->pcb, p, &ip, port);
	} else {
		e = u->connected ? udp_send(u->pcb, p) : ERR_CONN;
	}
	net_unlock();
	pbuf_free(p);
	switch (e) {
	case ERR_OK: return (long)len;
	case ERR_CLSD: return socket_epipe(m->flags);
	case ERR_CONN: return -EDESTADDRREQ;
	case ERR_RTE: return -ENETUNREACH;
	case ERR_MEM: case ERR_BUF: return -ENOBUFS;
	case ERR_VAL: return -EINVAL;
	default: return -EIO;
	}
}

static bool dgram_ready(struct socket *s)
{
	struct udp_sock *u = udp_of(s);
	return u->head != NULL || u->shut_rd;
}

static long udp_recv_op(struct socket *s, struct sock_msg *m)
{
	struct udp_sock *u = udp_of(s);
	int err = socket_wait(s, dgram_ready, m->flags & MSG_DONTWAIT, s->rcvtimeo_ns);
	if (err)
		return err;
	net_lock();
	struct udp_dgram *d = u->head;
	if (d == NULL) {          /* shut down for reading */
		net_unlock();
		return 0;
	}
	u64 size = d->p->tot_len;
	u64 n = MIN(size, msg_iter_left(m->data));
	long ret = pbuf_give_iter(d->p, m->data, (u32)n);
	if (ret == 0) {
		if (n < size)
			m->out_flags |= MSG_TRUNC;
		if (m->name != NULL)
			inet_addr_out(s->family, &d->from, d->port, m->name);
		ret = (m->flags & MSG_TRUNC) ? (long)size : (long)n;
	}
	if (!(m->flags & MSG_PEEK)) {
		u->head = d->next;
		if (u->head == NULL)
			u->tail = NULL;
		u->queued -= size;
		pbuf_free(d->p);
		kfree(d);
	}
	net_unlock();
	return ret;
}

static u32 udp_poll_op(struct socket *s, u32 events)
{
	struct udp_sock *u = udp_of(s);
	net_lock();
	u32 ready = VFS_POLLOUT;
	if (u->head != NULL || u->shut_rd)
		ready |= VFS_POLLIN;
	net_unlock();
	return ready & events;
}

static long udp_readable_op(struct socket *s)
{
	struct udp_sock *u = udp_of(s);
	net_lock();
	long n = u->head != NULL ? u->head->p->tot_len : 0;  /* Linux: the next datagram */
	net_unlock();
	return n;
}

static int udp_shutdown_op(struct socket *s, int how)
{
	struct udp_sock *u = udp_of(s);
	if (!u->connected)
		return -ENOTCONN;
	if (how == SHUT_RD || how == SHUT_RDWR)
		u->shut_rd = true;
	if (how == SHUT_WR || how == SHUT_RDWR)
		u->shut_wr = true;
	return 0;
}

static int udp_name_op(struct socket *s, struct sockaddr_any *out, bool peer)
{
	struct udp_sock *u = udp_of(s);
	net_lock();
	if (peer && !u->connected) {
		net_unlock();
		return -ENOTCONN;
	}
	if (peer)
		inet_addr_out(s->family, &u->pcb->remote_ip, u->pcb->remote_port, out);
	else
		inet_addr_out(s->family, &u->pcb->local_ip, u->pcb->local_port, out);
	net_unlock();
	return 0;
}

static int udp_setopt_op(struct socket *s, int level, int name, const void *val, u32 len)
{
	struct udp_sock *u = udp_of(s);
	int v;
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	int err = 0;
	net_lock();
	if (level == SOL_SOCKET && name == SO_REUSEADDR) {
		if (v)
			ip_set_option(u->pcb, SOF_REUSEADDR);
		else
			ip_reset_option(u->pcb, SOF_REUSEADDR);
	} else if (level == SOL_SOCKET && name == SO_BROADCAST) {
		if (v)
			ip_set_option(u->pcb, SOF_BROADCAST);
		else
			ip_reset_option(u->pcb, SOF_BROADCAST);
	} else if (level == SOL_SOCKET) {
		err = 0;  /* kept by socket_opt.c */
	} else if (level == SOL_IP && name == IP_TTL && v > 0 && v < 256) {
		u->pcb->ttl = (u8)v;
	} else if (level == SOL_IP && name == IP_TOS) {
		u->pcb->tos = (u8)v;
	} else if (level == SOL_IPV6 && name == IPV6_V6ONLY && s->family == AF_INET6) {
		if (u->pcb->local_port != 0)
			err = -EINVAL;
		else
			u->v6only = v != 0;
	} else {
		err = -ENOPROTOOPT;
	}
	net_unlock();
	return err;
}

static int udp_getopt_op(struct socket *s, int level, int name, void *val, u32 *len)
{
	struct udp_sock *u = udp_of(s);
	int v;
	if (level == SOL_IPV6 && name == IPV6_V6ONLY && s->family == AF_INET6)
		v = u->v6only;
	else if (level == SOL_IP && name == IP_TTL)
		v = u->pcb->ttl;
	else if (level == SOL_SOCKET && name == SO_ERROR)
		v = 0;
	else
		return -ENOPROTOOPT;
	if (*len < sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(int);
	return 0;
}

static const struct socket_ops g_udp_ops = {
	.bind = udp_bind_op,
	.connect = udp_connect_op,
	.send = udp_send_op,
	.recv = udp_recv_op,
	.shutdown = udp_shutdown_op,
	.name = udp_name_op,
	.setopt = udp_setopt_op,
	.getopt = udp_getopt_op,
	.poll = udp_poll_op,
	.readable = udp_readable_op,
	.release = udp_release,
};

int udp_sock_create(int family, struct socket **out)
{
	struct socket *s = socket_alloc(family, SOCK_DGRAM, IPPROTO_UDP, &g_udp_ops);
	struct udp_sock *u = kzalloc(sizeof(*u));
	if (s == NULL || u == NULL) {
		kfree(s);
		kfree(u);
		return -ENOMEM;
	}
	net_lock();
	u->pcb = udp_new_ip_type(family == AF_INET ? IPADDR_TYPE_V4 : IPADDR_TYPE_ANY);
	if (u->pcb != NULL)
		udp_recv(u->pcb, on_recv, s);
	net_unlock();
	if (u->pcb == NULL) {
		kfree(s);
		kfree(u);
		return -ENOMEM;
	}
	s->priv = u;
	*out = s;
	return 0;
}
