/*
 * tcp_io.c: data on TCP sockets: send, receive, readiness, shutdown and
 * the TCP options (tcp_sock.h). Data is copied from the caller straight
 * into lwIP's segments (TCP_WRITE_FLAG_COPY) and from lwIP's received
 * pbufs straight to the caller.
 */
#include "net/tcp_sock.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "net/msg_iter.h"
#include "net/net.h"
#include "syscalls/linux_abi/errno.h"

#define SEND_CHUNK (16 * 1024)
#define RECVED_MAX 0xffff        /* tcp_recved takes a u16 */
#define MS_PER_SEC 1000u
/* Keepalive defaults (Linux's and lwIP's): idle 2 h, interval 75 s, 9 probes. */
#define KEEPIDLE_DEFAULT_S 7200
#define KEEPINTVL_DEFAULT_S 75
#define KEEPCNT_DEFAULT 9

/* ---- receive ------------------------------------------------------------ */

/* Give the window back for n bytes the app has read. */
static void window_update(struct tcp_sock *t, u64 n)
{
	while (n > 0 && t->pcb != NULL) {
		u16 step = (u16)MIN(n, (u64)RECVED_MAX);
		tcp_recved(t->pcb, step);
		n -= step;
	}
}

/* Copy up to `want` queued bytes to the iterator; consume them unless
 * peek. Returns bytes copied or -EFAULT. */
static long copy_out(struct tcp_sock *t, struct msg_iter *it, u64 want, bool peek)
{
	u64 done = 0;
	u32 slot = t->rxq_head, left_chains = t->rxq_count, off = t->rx_off;
	while (done < want && left_chains > 0) {
		struct pbuf *chain = t->rxq[slot];
		u32 skip = off;
		for (struct pbuf *q = chain; q != NULL && done < want; q = q->next) {
			if (skip >= q->len) {
				skip -= q->len;
				continue;
			}
			u32 n = (u32)MIN((u64)(q->len - skip), want - done);
			if (msg_iter_give(it, (u8 *)q->payload + skip, n) != 0)
				return done ? (long)done : -EFAULT;
			done += n;
			off += n;
			skip = 0;
		}
		if (off < chain->tot_len)
			break;               /* the caller's buffer is full */
		off = 0;
		slot = (slot + 1) % TCP_RXQ_SLOTS;
		left_chains--;
		if (!peek) {
			pbuf_free(chain);
			t->rxq_head = slot;
			t->rxq_count--;
		}
	}
	if (!peek) {
		t->rx_off = off;
		t->rx_bytes -= done;
		window_update(t, done);
	}
	return (long)done;
}

static bool readable_now(struct socket *s)
{
	struct tcp_sock *t = tcp_of(s);
	return t->rx_bytes > 0 || t->rx_eof || t->shut_rd || t->error != 0 ||
	       t->state != TCP_SOCK_CONNECTED;
}

long tcp_sock_recv(struct socket *s, struct sock_msg *m)
{
	struct tcp_sock *t = tcp_of(s);
	bool peek = m->flags & MSG_PEEK;
	bool waitall = (m->flags & MSG_WAITALL) && !peek;
	bool nonblock = m->flags & MSG_DONTWAIT;
	u64 done = 0;
	if (m->flags & MSG_OOB)
		return -EINVAL;
	for (;;) {
		net_lock();
		if (t->state == TCP_SOCK_LISTENING || (t->state == TCP_SOCK_NEW)) {
			net_unlock();
			return -ENOTCONN;
		}
		u64 want = msg_iter_left(m->data);
		if (t->rx_bytes > 0 && want > 0) {
			long n = copy_out(t, m->data, want, peek);
			if (n < 0) {
				net_unlock();
				return done ? (long)done : n;
			}
			done += (u64)n;
		}
		bool finished = msg_iter_left(m->data) == 0 || (done > 0 && !waitall) ||
		                t->rx_eof || t->shut_rd;
		if (!finished && t->error != 0) {
			int err = t->error;
			t->error = 0;
			net_unlock();
			return done ? (long)done : -err;
		}
		if (!finished && t->state == TCP_SOCK_CLOSED)
			finished = true;
		net_unlock();
		if (finished)
			return (long)done;
		int err = socket_wait(s, readable_now, nonblock, s->rcvtimeo_ns);
		if (err)
			return done ? (long)done : err;
	}
}

long tcp_sock_readable(struct socket *s)
{
	struct tcp_sock *t = tcp_of(s);
	net_lock();
	long n = t->state == TCP_SOCK_LISTENING ? -EINVAL : (long)t->rx_bytes;
	net_unlock();
	return n;
}

/* ---- send ------------------------------------------------------------- */

static bool writable_now(struct socket *s)
{
	struct tcp_sock *t = tcp_of(s);
	return t->pcb == NULL || t->state != TCP_SOCK_CONNECTED || t->error != 0 ||
	       t->shut_wr ||
	       (tcp_sndbuf(t->pcb) > 0 && tcp_sndqueuelen(t->pcb) < TCP_SND_QUEUELEN);
}

/* Why a send cannot go on, or 0. */
static long send_blocked(struct tcp_sock *t, int flags)
{
	if (t->error != 0) {
		int err = t->error;
		t->error = 0;
		if (err == ECONNRESET || err == ECONNABORTED || err == ETIMEDOUT)
			socket_epipe(flags);
		return -err;
	}
	if (t->shut_wr || (t->state == TCP_SOCK_CLOSED))
		return socket_epipe(flags);
	if (t->state != TCP_SOCK_CONNECTED || t->pcb == NULL)
		return -ENOTCONN;
	return 0;
}

long tcp_sock_send(struct socket *s, struct sock_msg *m)
{
	struct tcp_sock *t = tcp_of(s);
	bool nonblock = m->flags & MSG_DONTWAIT;
	u64 done = 0;
	u8 *bounce = kmalloc(SEND_CHUNK);
	if (bounce == NULL)
		return -ENOMEM;
	long ret = 0;
	while (msg_iter_left(m->data) > 0 || done == 0) {
		net_lock();
		long blocked = send_blocked(t, m->flags);
		if (blocked) {
			net_unlock();
			ret = done ? (long)done : blocked;
			break;
		}
		u32 room = tcp_sndqueuelen(t->pcb) < TCP_SND_QUEUELEN ? tcp_sndbuf(t->pcb) : 0;
		u64 left = msg_iter_left(m->data);
		if (left == 0) {
			net_unlock();
			break;
		}
		if (room == 0) {
			tcp_output(t->pcb);
			net_unlock();
			int err = socket_wait(s, writable_now, nonblock, s->sndtimeo_ns);
			if (err) {
				ret = done ? (long)done : err;
				break;
			}
			continue;
		}
		u32 n = (u32)MIN(MIN((u64)room, left), (u64)SEND_CHUNK);
		if (msg_iter_take(m->data, bounce, n) != 0) {
			net_unlock();
			ret = done ? (long)done : -EFAULT;
			break;
		}
		bool more = (m->flags & MSG_MORE) || t->cork || msg_iter_left(m->data) > 0;
		err_t e = tcp_write(t->pcb, bounce, (u16)n,
		                    TCP_WRITE_FLAG_COPY | (more ? TCP_WRITE_FLAG_MORE : 0));
		if (e != ERR_OK) {
			/* Out of segments: the data goes back to the caller's count. */
			net_unlock();
			ret = done ? (long)done : -ENOBUFS;
			break;
		}
		done += n;
		if (!more || done % (4 * SEND_CHUNK) == 0)
			tcp_output(t->pcb);
		net_unlock();
		ret = (long)done;
	}
	net_lock();
	if (t->pcb != NULL && !t->cork)
		tcp_output(t->pcb);
	net_unlock();
	kfree(bounce);
	return ret;
}

/* ---- readiness ---------------------------------------------------------- */

u32 tcp_sock_poll(struct socket *s, u32 events)
{
	struct tcp_sock *t = tcp_of(s);
	u32 ready = 0;
	net_lock();
	if (t->state == TCP_SOCK_LISTENING) {
		if (t->acc_head != NULL)
			ready |= VFS_POLLIN;
	} else if (t->state == TCP_SOCK_NEW) {
		ready |= VFS_POLLOUT | VFS_POLLHUP;   /* Linux: an unconnected socket */
	} else if (t->state != TCP_SOCK_CONNECTING) {
		if (t->rx_bytes > 0 || t->rx_eof || t->shut_rd)
			ready |= VFS_POLLIN;
		if (t->rx_eof || t->shut_rd)
			ready |= SOCK_POLLRDHUP;
		if (t->state == TCP_SOCK_CLOSED || (t->rx_eof && t->shut_wr))
			ready |= VFS_POLLHUP | VFS_POLLIN;
		if (t->state == TCP_SOCK_CLOSED || t->shut_wr ||
		    (t->pcb != NULL && tcp_sndbuf(t->pcb) >= TCP_SNDLOWAT &&
		     tcp_sndqueuelen(t->pcb) < TCP_SNDQUEUELOWAT))
			ready |= VFS_POLLOUT;
	}
	if (t->error != 0)
		ready |= VFS_POLLERR | VFS_POLLIN | VFS_POLLOUT;
	net_unlock();
	return ready & (events | VFS_POLLERR | VFS_POLLHUP);
}

int tcp_sock_shutdown(struct socket *s, int how)
{
	struct tcp_sock *t = tcp_of(s);
	int ret = 0;
	net_lock();
	if (t->state != TCP_SOCK_CONNECTED && t->state != TCP_SOCK_CLOSED) {
		ret = -ENOTCONN;
	} else {
		if (how == SHUT_RD || how == SHUT_RDWR)
			t->shut_rd = true;
		if ((how == SHUT_WR || how == SHUT_RDWR) && !t->shut_wr) {
			t->shut_wr = true;
			if (t->pcb != NULL)
				tcp_shutdown(t->pcb, 0, 1);  /* our FIN, after queued data */
		}
	}
	net_unlock();
	socket_wake(s, 0);
	return ret;
}

/* ---- options ------------------------------------------------------------ */

static int get_int(const void *val, u32 len, int *out)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int put_int(void *val, u32 *len, int v)
{
	if (*len < sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(int));
	*len = sizeof(int);
	return 0;
}

/* lwIP's keepalive times are in milliseconds; Linux gives seconds. */
static int set_keep(struct tcp_sock *t, int name, int v)
{
	if (v < 1 || v > 32767)
		return -EINVAL;
	if (t->pcb == NULL || t->state == TCP_SOCK_LISTENING)
		return 0;
	if (name == TCP_KEEPIDLE)
		t->pcb->keep_idle = (u32)v * MS_PER_SEC;
	else if (name == TCP_KEEPINTVL)
		t->pcb->keep_intvl = (u32)v * MS_PER_SEC;
	else
		t->pcb->keep_cnt = (u32)v;
	return 0;
}

static int set_tcp_level(struct tcp_sock *t, int name, int v)
{
	switch (name) {
	case TCP_NODELAY:
		t->nodelay = v != 0;
		if (t->pcb != NULL && t->state != TCP_SOCK_LISTENING) {
			if (v)
				tcp_nagle_disable(t->pcb);
			else
				tcp_nagle_enable(t->pcb);
		}
		return 0;
	case TCP_CORK:
		t->cork = v != 0;
		if (!t->cork && t->pcb != NULL && t->state == TCP_SOCK_CONNECTED)
			tcp_output(t->pcb);
		return 0;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
		return set_keep(t, name, v);
	case TCP_QUICKACK:
	case TCP_DEFER_ACCEPT:
		return 0;  /* hints with no lwIP counterpart; Linux also treats them as hints */
	default:
		return -ENOPROTOOPT;
	}
}

int tcp_sock_setopt(struct socket *s, int level, int name, const void *val, u32 len)
{
	struct tcp_sock *t = tcp_of(s);
	int v;
	int err = get_int(val, len, &v);
	if (err)
		return err;
	net_lock();
	if (level == SOL_TCP) {
		err = set_tcp_level(t, name, v);
	} else if (level == SOL_SOCKET && name == SO_KEEPALIVE) {
		if (t->pcb != NULL && t->state != TCP_SOCK_LISTENING) {
			if (v)
				ip_set_option(t->pcb, SOF_KEEPALIVE);
			else
				ip_reset_option(t->pcb, SOF_KEEPALIVE);
		}
	} else if (level == SOL_SOCKET && name == SO_REUSEADDR) {
		if (t->pcb != NULL && v)
			ip_set_option(t->pcb, SOF_REUSEADDR);
		else if (t->pcb != NULL)
			ip_reset_option(t->pcb, SOF_REUSEADDR);
	} else if (level == SOL_IPV6 && name == IPV6_V6ONLY && s->family == AF_INET6) {
		err = t->local_port != 0 ? -EINVAL : 0;
		if (!err)
			t->v6only = v != 0;
	} else if ((level == SOL_IP && (name == IP_TOS || name == IP_TTL)) ||
	           (level == SOL_SOCKET)) {
		if (t->pcb != NULL && level == SOL_IP && name == IP_TTL && v > 0 && v < 256)
			t->pcb->ttl = (u8)v;
		else if (t->pcb != NULL && level == SOL_IP && name == IP_TOS)
			t->pcb->tos = (u8)v;
	} else {
		err = -ENOPROTOOPT;
	}
	net_unlock();
	return err;
}

int tcp_sock_getopt(struct socket *s, int level, int name, void *val, u32 *len)
{
	struct tcp_sock *t = tcp_of(s);
	int v;
	net_lock();
	if (level == SOL_TCP && name == TCP_NODELAY)
		v = t->nodelay;
	else if (level == SOL_TCP && name == TCP_CORK)
		v = t->cork;
	else if (level == SOL_TCP && name == TCP_MAXSEG)
		v = t->pcb != NULL && t->state != TCP_SOCK_LISTENING ? tcp_mss(t->pcb) : TCP_MSS;
	else if (level == SOL_TCP && name == TCP_KEEPIDLE)
		v = t->pcb && t->state != TCP_SOCK_LISTENING ? (int)(t->pcb->keep_idle / MS_PER_SEC)
		                                             : KEEPIDLE_DEFAULT_S;
	else if (level == SOL_TCP && name == TCP_KEEPINTVL)
		v = t->pcb && t->state != TCP_SOCK_LISTENING ? (int)(t->pcb->keep_intvl / MS_PER_SEC)
		                                             : KEEPINTVL_DEFAULT_S;
	else if (level == SOL_TCP && name == TCP_KEEPCNT)
		v = t->pcb && t->state != TCP_SOCK_LISTENING ? (int)t->pcb->keep_cnt
		                                             : KEEPCNT_DEFAULT;
	else if (level == SOL_IPV6 && name == IPV6_V6ONLY && s->family == AF_INET6)
		v = t->v6only;
	else if (level == SOL_SOCKET && name == SO_ERROR) {
		v = t->error;
		t->error = 0;
	} else {
		net_unlock();
		return -ENOPROTOOPT;
	}
	net_unlock();
	return put_int(val, len, v);
}
