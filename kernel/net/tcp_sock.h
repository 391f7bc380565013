/*
 * tcp_sock.h: TCP sockets over lwIP's raw API (internal to net/). The
 * socket keeps what lwIP tells it through callbacks (data, FIN, errors,
 * new connections) in struct tcp_sock; the syscalls read it from there.
 * Every field and every lwIP call is under net_lock.
 */
#ifndef CVMIFY_NET_TCP_SOCK_H
#define CVMIFY_NET_TCP_SOCK_H

#include "lwip/tcp.h"
#include "net/socket.h"

/* Received chains not yet read; more makes lwIP hold data back
 * (refused data, retried later): the receive window does the rest. */
#define TCP_RXQ_SLOTS 256

enum tcp_sock_state {
	TCP_SOCK_NEW,         /* socket(): a pcb, maybe bound */
	TCP_SOCK_LISTENING,
	TCP_SOCK_CONNECTING,
	TCP_SOCK_CONNECTED,
	TCP_SOCK_CLOSED,      /* the connection is gone (error or both FINs) */
};

struct tcp_sock {
	struct socket *sock;
	struct tcp_pcb *pcb;        /* NULL once lwIP freed it (errors) */
	enum tcp_sock_state state;
	bool v6only;
	bool nodelay, cork;
	bool ever_connected;
	int error;                  /* pending error, a positive errno */

	/* receive queue: whole chains as lwIP delivered them */
	struct pbuf *rxq[TCP_RXQ_SLOTS];
	u32 rxq_head, rxq_count;
	u32 rx_off;                 /* bytes of the head chain already read */
	u64 rx_bytes;               /* unread bytes in the queue */
	bool rx_eof;                /* the peer sent FIN */
	bool shut_rd, shut_wr;

	/* listening: connections lwIP completed, not yet accepted */
	struct tcp_sock *acc_head, *acc_tail;
	u32 acc_len;
	struct tcp_sock *acc_next;
	bool queued;                /* in a listener's queue */

	/* SO_REUSEPORT: the group that owns the bound or listening pcb
	 * (then pcb is NULL); reuseport.c */
	struct reuseport_group *group;

	/* addresses, kept when the pcb goes away */
	ip_addr_t local_ip, remote_ip;
	u16 local_port, remote_port;
};

/* tcp_sock.c */
int tcp_sock_create(int family, struct socket **out);
void tcp_sock_set_callbacks(struct tcp_sock *t);
/* lwIP completed newpcb for listener l: queue it for accept(). */
err_t tcp_sock_accepted(struct tcp_sock *l, struct tcp_pcb *newpcb);
int tcp_errno(err_t err);

/* tcp_io.c: the socket_ops for data */
long tcp_sock_send(struct socket *s, struct sock_msg *m);
long tcp_sock_recv(struct socket *s, struct sock_msg *m);
u32 tcp_sock_poll(struct socket *s, u32 events);
long tcp_sock_readable(struct socket *s);
int tcp_sock_shutdown(struct socket *s, int how);
int tcp_sock_setopt(struct socket *s, int level, int name, const void *val, u32 len);
int tcp_sock_getopt(struct socket *s, int level, int name, void *val, u32 *len);

static inline struct tcp_sock *tcp_of(struct socket *s)
{
	return s->priv;
}

#endif
