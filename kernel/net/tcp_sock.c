/*
 * tcp_sock.c: TCP socket life: create, bind, listen, accept, connect,
 * lwIP's callbacks, close (tcp_sock.h). Data moves in tcp_io.c.
 *
 * Trust: everything lwIP reports came from the network, but lwIP has
 * already parsed and checked it; here we only keep state. A pcb lwIP
 * frees (reset, timeout) is never touched again: the error callback
 * clears our pointer first.
 */
#include "net/tcp_sock.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "net/inet_addr.h"
#include "net/net.h"
#include "net/reuseport.h"
#include "syscalls/linux_abi/errno.h"

#define BACKLOG_MAX 255  /* lwIP keeps it in a u8 */

static const struct socket_ops g_tcp_ops;

int tcp_errno(err_t err)
{
	switch (err) {
	case ERR_OK: return 0;
	case ERR_MEM: case ERR_BUF: return ENOBUFS;
	case ERR_TIMEOUT: return ETIMEDOUT;
	case ERR_RTE: return ENETUNREACH;
	case ERR_INPROGRESS: return EINPROGRESS;
	case ERR_VAL: case ERR_ARG: return EINVAL;
	case ERR_USE: return EADDRINUSE;
	case ERR_ALREADY: return EALREADY;
	case ERR_ISCONN: return EISCONN;
	case ERR_CONN: return ENOTCONN;
	case ERR_IF: return ENETDOWN;
	case ERR_ABRT: return ECONNABORTED;
	case ERR_RST: return ECONNRESET;
	case ERR_CLSD: return ENOTCONN;
	default: return EIO;
	}
}

static struct tcp_sock *tcp_sock_new(struct socket *s, struct tcp_pcb *pcb)
{
	struct tcp_sock *t = kzalloc(sizeof(*t));
	if (t == NULL)
		return NULL;
	t->sock = s;
	t->pcb = pcb;
	s->priv = t;
	return t;
}

/* ---- lwIP callbacks (under net_lock, from net_poll or our own calls) ---- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct tcp_sock *t = arg;
	(void)err;
	if (p == NULL) {
		t->rx_eof = true;
		socket_wake(t->sock, VFS_POLLIN | SOCK_POLLRDHUP);
		return ERR_OK;
	}
	if (t->shut_rd) {   /* SHUT_RD: data is acknowledged and dropped */
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	if (t->rxq_count == TCP_RXQ_SLOTS)
		return ERR_MEM;  /* lwIP keeps it and offers it again later */
	t->rxq[(t->rxq_head + t->rxq_count) % TCP_RXQ_SLOTS] = p;
	t->rxq_count++;
	t->rx_bytes += p->tot_len;
	socket_wake(t->sock, VFS_POLLIN);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct tcp_sock *t = arg;
	(void)pcb;
	(void)len;
	socket_wake(t->sock, VFS_POLLOUT);
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	struct tcp_sock *t = arg;
	t->pcb = NULL; /* lwIP has freed it */
	if (t->state == TCP_SOCK_CONNECTING)
		t->error = err == ERR_RST ? ECONNREFUSED : ETIMEDOUT;
	else
		t->error = err == ERR_ABRT ? ETIMEDOUT : tcp_errno(err);
	t->state = TCP_SOCK_CLOSED;
	socket_wake(t->sock, VFS_POLLIN | VFS_POLLOUT | VFS_POLLERR | VFS_POLLHUP);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct tcp_sock *t = arg;
	(void)pcb;
	(void)err;  /* always ERR_OK in lwIP 2.1 */
	t->state = TCP_SOCK_CONNECTED;
	t->ever_connected = true;
	ip_addr_copy(t->local_ip, pcb->local_ip);
	t->local_port = pcb->local_port;
	socket_wake(t->sock, VFS_POLLOUT);
	return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	if (err != ERR_OK || newpcb == NULL)
		return ERR_VAL;
	return tcp_sock_accepted(arg, newpcb);
}

err_t tcp_sock_accepted(struct tcp_sock *l, struct tcp_pcb *newpcb)
{
	struct socket *s = socket_alloc(l->sock->family, SOCK_STREAM, IPPROTO_TCP, &g_tcp_ops);
	struct tcp_sock *t = s ? tcp_sock_new(s, newpcb) : NULL;
	if (t == NULL) {
		if (s != NULL)
			kfree(s);
		return ERR_MEM;  /* lwIP resets the connection */
	}
	t->state = TCP_SOCK_CONNECTED;
	t->ever_connected = true;
	t->v6only = l->v6only;
	ip_addr_copy(t->local_ip, newpcb->local_ip);
	ip_addr_copy(t->remote_ip, newpcb->remote_ip);
	t->local_port = newpcb->local_port;
	t->remote_port = newpcb->remote_port;
	s->keepalive = l->sock->keepalive;
	s->rcvbuf = l->sock->rcvbuf;
	s->sndbuf = l->sock->sndbuf;
	t->nodelay = l->nodelay;
	if (t->nodelay)
		tcp_nagle_disable(newpcb);
	tcp_sock_set_callbacks(t);
	tcp_backlog_delayed(newpcb); /* counts against the backlog until accept() */
	t->queued = true;
	if (l->acc_tail != NULL)
		l->acc_tail->acc_next = t;
	else
		l->acc_head = t;
	l->acc_tail = t;
	l->acc_len++;
	socket_wake(l->sock, VFS_POLLIN);
	return ERR_OK;
}

void tcp_sock_set_callbacks(struct tcp_sock *t)
{
	tcp_arg(t->pcb, t);
	tcp_recv(t->pcb, on_recv);
	tcp_sent(t->pcb, on_sent);
	tcp_err(t->pcb, on_err);
}

/* Forget the pcb: lwIP finishes the connection on its own. A listening
 * pcb is lwIP's smaller tcp_pcb_listen: it has no recv, sent or err
 * callback (lwIP asserts so), only accept. */
static void detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	if (pcb->state == LISTEN) {
		tcp_accept(pcb, NULL);
		return;
	}
	tcp_recv(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_sent(pcb, NULL);
}

static void free_rxq(struct tcp_sock *t)
{
	while (t->rxq_count > 0) {
		pbuf_free(t->rxq[t->rxq_head]);
		t->rxq_head = (t->rxq_head + 1) % TCP_RXQ_SLOTS;
		t->rxq_count--;
	}
	t->rx_bytes = 0;
}

/* End t's connection: a reset if data was left unread or linger is 0,
 * as Linux does, else an orderly close. */
static void close_pcb(struct tcp_sock *t, bool reset)
{
	struct tcp_pcb *pcb = t->pcb;
	t->pcb = NULL;
	if (pcb == NULL)
		return;
	bool listening = pcb->state == LISTEN;
	detach(pcb);
	if (!listening && (reset || t->rx_bytes > 0)) {
		tcp_abort(pcb);
		return;
	}
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb); /* out of memory for the FIN */
}

static void release_child(struct tcp_sock *t)
{
	close_pcb(t, true);
	free_rxq(t);
	kfree(t->sock);
	kfree(t);
}

static void tcp_release(struct socket *s)
{
	struct tcp_sock *t = tcp_of(s);
	if (t == NULL)
		return;
	net_lock();
	while (t->acc_head != NULL) {
		struct tcp_sock *child = t->acc_head;
		t->acc_head = child->acc_next;
		release_child(child);  /* reset, as Linux does */
	}
	if (t->group != NULL)
		reuseport_tcp_leave(t);
	bool linger0 = s->linger.l_onoff && s->linger.l_linger == 0;
	close_pcb(t, linger0);
	free_rxq(t);
	net_unlock();
	kfree(t);
	s->priv = NULL;
}

/* ---- socket_ops ------------------------------------------------------- */

static int tcp_bind_op(struct socket *s, const struct sockaddr_any *addr)
{
	struct tcp_sock *t = tcp_of(s);
	ip_addr_t ip;
	u16 port;
	int err = inet_sock_addr(s, t->v6only, addr, &ip, &port);
	if (err)
		return err;
	bool mapped = s->family == AF_INET6 && IP_IS_V4(&ip);
	net_lock();
	if (t->pcb == NULL || t->state != TCP_SOCK_NEW || t->local_port != 0) {
		net_unlock();
		return -EINVAL;
	}
	if (s->family == AF_INET6 && !mapped && ip_addr_isany(&ip))
		inet_addr_any(s->family, t->v6only, &ip);
	struct reuseport_group *group;
	err = reuseport_lookup(IPPROTO_TCP, s, &ip, port, &group);
	if (err || group != NULL) {
		if (group != NULL)
			err = reuseport_tcp_join(group, t);
		net_unlock();
		return err;
	}
	if (s->reuseaddr)
		ip_set_option(t->pcb, SOF_REUSEADDR);
	err_t e = tcp_bind(t->pcb, &ip, port);
	if (e == ERR_OK) {
		ip_addr_copy(t->local_ip, t->pcb->local_ip);
		t->local_port = t->pcb->local_port;
		if (s->reuseport)
			err = reuseport_tcp_found(t);
	}
	net_unlock();
	if (err)
		return err;
	if (e == ERR_VAL)
		return -EADDRNOTAVAIL;
	return -tcp_errno(e);
}

/* listen() or connect() without bind(): the wildcard and a free port. */
static err_t autobind(struct socket *s, struct tcp_sock *t)
{
	if (t->local_port != 0)
		return ERR_OK;
	ip_addr_t any;
	inet_addr_any(s->family, t->v6only, &any);
	if (s->reuseaddr)
		ip_set_option(t->pcb, SOF_REUSEADDR);
	err_t e = tcp_bind(t->pcb, &any, 0);
	if (e == ERR_OK)
		t->local_port = t->pcb->local_port;
	return e;
}

static int tcp_listen_op(struct socket *s, int backlog)
{
	struct tcp_sock *t = tcp_of(s);
	u8 limit = (u8)(backlog < 1 ? 1 : backlog > BACKLOG_MAX ? BACKLOG_MAX : backlog);
	net_lock();
	int ret = 0;
	if (t->group != NULL) {
		ret = reuseport_tcp_listen(t, limit);
	} else if (t->state == TCP_SOCK_LISTENING) {
		tcp_backlog_set(t->pcb, limit); /* listen() again: a new backlog */
	} else if (t->pcb == NULL || t->state != TCP_SOCK_NEW) {
		ret = -EINVAL;
	} else if (autobind(s, t) != ERR_OK) {
		ret = -EADDRINUSE;
	} else {
		err_t e = ERR_OK;
		struct tcp_pcb *lpcb = tcp_listen_with_backlog_and_err(t->pcb, limit, &e);
		if (lpcb == NULL) {
			ret = -tcp_errno(e);
		} else {
			t->pcb = lpcb;  /* lwIP freed the old one */
			t->state = TCP_SOCK_LISTENING;
			s->listening = true;
			ip_addr_copy(t->local_ip, lpcb->local_ip);
			tcp_arg(lpcb, t);
			tcp_accept(lpcb, on_accept);
		}
	}
	net_unlock();
	return ret;
}

static bool accept_ready(struct socket *s)
{
	struct tcp_sock *t = tcp_of(s);
	return t->acc_head != NULL || t->state != TCP_SOCK_LISTENING;
}

static int tcp_accept_op(struct socket *s, struct socket **child, struct sockaddr_any *peer)
{
	struct tcp_sock *t = tcp_of(s);
	if (t->state != TCP_SOCK_LISTENING)
		return -EINVAL;
	int err = socket_wait(s, accept_ready, socket_nonblock(s), s->rcvtimeo_ns);
	if (err)
		return err;
	net_lock();
	struct tcp_sock *c = t->acc_head;
	if (c == NULL) {
		net_unlock();
		return -EINVAL;
	}
	t->acc_head = c->acc_next;
	if (t->acc_head == NULL)
		t->acc_tail = NULL;
	t->acc_len--;
	c->acc_next = NULL;
	c->queued = false;
	if (c->pcb != NULL)
		tcp_backlog_accepted(c->pcb);
	inet_addr_out(s->family, &c->remote_ip, c->remote_port, peer);
	net_unlock();
	*child = c->sock;
	return 0;
}

static bool connect_done(struct socket *s)
{
	return tcp_of(s)->state != TCP_SOCK_CONNECTING;
}

static int connect_result(struct tcp_sock *t)
{
	if (t->state == TCP_SOCK_CONNECTED)
		return 0;
	int err = t->error ? t->error : ECONNREFUSED;
	t->error = 0;
	return -err;
}

static int tcp_connect_op(struct socket *s, const struct sockaddr_any *addr)
{
	struct tcp_sock *t = tcp_of(s);
	ip_addr_t ip;
	u16 port;
	int err = inet_sock_addr(s, t->v6only, addr, &ip, &port);
	if (err)
		return err;
	net_lock();
	if (t->state == TCP_SOCK_CONNECTING) {
		net_unlock();
		return -EALREADY;
	}
	if (t->state == TCP_SOCK_CONNECTED) {
		net_unlock();
		return -EISCONN;
	}
	if (t->group != NULL && reuseport_tcp_reclaim(t) != 0) {
		net_unlock();
		return -EADDRINUSE;  /* the port is a group's (listening) */
	}
	if (t->state != TCP_SOCK_NEW || t->pcb == NULL) {
		int pending = t->error;
		t->error = 0;
		net_unlock();
		return pending ? -pending : -EINVAL;
	}
	if (ip_addr_isany(&ip)) /* Linux: connecting to the wildcard means this host */
		ip_addr_set_loopback(IP_IS_V6(&ip), &ip);
	err_t e = autobind(s, t);
	if (e == ERR_OK) {
		ip_addr_copy(t->remote_ip, ip);
		t->remote_port = port;
		t->state = TCP_SOCK_CONNECTING;
		e = tcp_connect(t->pcb, &ip, port, on_connected);
		if (e != ERR_OK)
			t->state = TCP_SOCK_NEW;
	}
	net_unlock();
	if (e != ERR_OK)
		return e == ERR_RTE ? -ENETUNREACH : -tcp_errno(e);
	err = socket_wait(s, connect_done, socket_nonblock(s), s->sndtimeo_ns);
	if (err == -EAGAIN)
		return socket_nonblock(s) ? -EINPROGRESS : -ETIMEDOUT;
	if (err)
		return err;  /* -EINTR: the connection goes on, as on Linux */
	net_lock();
	err = connect_result(t);
	net_unlock();
	return err;
}

static int tcp_name_op(struct socket *s, struct sockaddr_any *out, bool peer)
{
	struct tcp_sock *t = tcp_of(s);
	net_lock();
	if (peer && !(t->state == TCP_SOCK_CONNECTED || (t->ever_connected && t->pcb))) {
		net_unlock();
		return -ENOTCONN;
	}
	if (peer)
		inet_addr_out(s->family, &t->remote_ip, t->remote_port, out);
	else
		inet_addr_out(s->family, &t->local_ip, t->local_port, out);
	net_unlock();
	return 0;
}

static const struct socket_ops g_tcp_ops = {
	.bind = tcp_bind_op,
	.listen = tcp_listen_op,
	.accept = tcp_accept_op,
	.connect = tcp_connect_op,
	.send = tcp_sock_send,
	.recv = tcp_sock_recv,
	.shutdown = tcp_sock_shutdown,
	.name = tcp_name_op,
	.setopt = tcp_sock_setopt,
	.getopt = tcp_sock_getopt,
	.poll = tcp_sock_poll,
	.readable = tcp_sock_readable,
	.release = tcp_release,
};

int tcp_sock_create(int family, struct socket **out)
{
	struct socket *s = socket_alloc(family, SOCK_STREAM, IPPROTO_TCP, &g_tcp_ops);
	if (s == NULL)
		return -ENOMEM;
	net_lock();
	struct tcp_pcb *pcb = tcp_new_ip_type(family == AF_INET ? IPADDR_TYPE_V4 : IPADDR_TYPE_ANY);
	struct tcp_sock *t = pcb ? tcp_sock_new(s, pcb) : NULL;
	if (t == NULL) {
		if (pcb != NULL)
			tcp_abort(pcb);
		net_unlock();
		kfree(s);
		return -ENOMEM;
	}
	inet_addr_any(family, false, &t->local_ip);
	tcp_sock_set_callbacks(t);
	net_unlock();
	*out = s;
	return 0;
}
