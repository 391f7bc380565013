/*
 * unix_stream.c: AF_UNIX stream sockets: listen, connect, accept, and a
 * byte stream into the peer's receive queue (unix_priv.h). A receive
 * does not run past a segment that carries files, so the files arrive
 * with the first byte sent along with them, as on Linux. Seqpacket
 * sockets (unix_seqpacket.c) share the connection half: listen, connect,
 * accept, poll and release.
 */
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "net/msg_iter.h"
#include "net/unix_priv.h"
#include "syscalls/linux_abi/errno.h"

#define SEG_MAX (64 * 1024)

int unix_conn_listen(struct socket *s, int backlog)
{
	struct unix_sock *u = unix_of(s);
	if (!u->bound || (u->state != UNIX_NEW && u->state != UNIX_LISTENING))
		return -EINVAL;
	u->state = UNIX_LISTENING;
	u->peer_cred = unix_my_cred();  /* what connecting sockets see as SO_PEERCRED */
	u->backlog = backlog < 1 ? 1 : backlog > 4096 ? 4096 : (u32)backlog;
	s->listening = true;
	return 0;
}

/* The listener a connect waits on may close meanwhile: look it up anew. */
int unix_conn_connect(struct socket *s, const struct sockaddr_any *addr)
{
	struct unix_sock *u = unix_of(s);
	if (u->state == UNIX_CONNECTED)
		return -EISCONN;
	if (u->state != UNIX_NEW)
		return -EINVAL;
	int err = unix_autobind_passcred(u);
	if (err)
		return err;
	u64 deadline = socket_deadline(s->sndtimeo_ns);
	for (;;) {
		struct unix_sock *l;
		err = unix_lookup(addr, s->type, &l);
		if (err)
			return err;
		if (l->state != UNIX_LISTENING)
			return -ECONNREFUSED;
		if (l->acc_len < l->backlog) {
			struct socket *cs = unix_alloc(s->type);
			if (cs == NULL)
				return -ENOMEM;
			struct unix_sock *c = unix_of(cs);
			c->peer = u;
			u->peer = c;
			c->state = u->state = UNIX_CONNECTED;
			c->peer_cred = unix_my_cred();
			u->peer_cred = l->peer_cred;  /* the listener's creds, from listen() */
			c->name = l->name;
			c->bound = false;
			if (l->acc_tail != NULL)
				l->acc_tail->acc_next = c;
			else
				l->acc_head = c;
			l->acc_tail = c;
			l->acc_len++;
			socket_wake(l->sock, VFS_POLLIN);
			return 0;
		}
		err = socket_pause(socket_nonblock(s), deadline);
		if (err)
			return err;
	}
}

static bool accept_ready(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	return u->acc_head != NULL || u->state != UNIX_LISTENING;
}

int unix_conn_accept(struct socket *s, struct socket **child, struct sockaddr_any *peer)
{
	struct unix_sock *u = unix_of(s);
	if (u->state != UNIX_LISTENING)
		return -EINVAL;
	int err = socket_wait(s, accept_ready, socket_nonblock(s), s->rcvtimeo_ns);
	if (err)
		return err;
	struct unix_sock *c = u->acc_head;
	if (c == NULL)
		return -EINVAL;
	u->acc_head = c->acc_next;
	if (u->acc_head == NULL)
		u->acc_tail = NULL;
	u->acc_len--;
	c->acc_next = NULL;
	if (c->peer != NULL && c->peer->bound) {
		*peer = c->peer->name;
	} else {
		memset(peer, 0, sizeof(*peer));
		peer->family = AF_UNIX;
		peer->len = sizeof(u16);
	}
	*child = c->sock;
	return 0;
}

/* ---- data ---------------------------------------------------------------- */

/* Seqpacket: writable (poll) when a message of any size would go, so
 * that POLLOUT never leads to EAGAIN; receivers also bound their number
 * of messages (empty ones cost a segment each). */
static bool room_at_peer(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	if (u->peer == NULL || u->shut_wr || u->peer->shut_rd)
		return true;
	if (s->type == SOCK_SEQPACKET)
		return u->peer->segs < UNIX_DGRAM_QUEUE &&
		       u->peer->queued + UNIX_MSG_MAX <= UNIX_BUF_MAX;
	return u->peer->queued < UNIX_BUF_MAX;
}

static long stream_send(struct socket *s, struct sock_msg *m)
{
	struct unix_sock *u = unix_of(s);
	if (u->state != UNIX_CONNECTED)
		return u->state == UNIX_NEW && !u->peer_gone ? -ENOTCONN : socket_epipe(m->flags);
	if (m->name != NULL)
		return -EISCONN;
	u64 done = 0;
	bool first = true;
	while (first || msg_iter_left(m->data) > 0) {
		if (u->peer == NULL || u->shut_wr || u->peer->shut_rd)
			return done ? (long)done : socket_epipe(m->flags);
		if (u->peer->queued >= UNIX_BUF_MAX) {
			int err = socket_wait(s, room_at_peer, m->flags & MSG_DONTWAIT, s->sndtimeo_ns);
			if (err)
				return done ? (long)done : err;
			continue;
		}
		u64 room = UNIX_BUF_MAX - u->peer->queued;
		u32 n = (u32)MIN(MIN(msg_iter_left(m->data), room), (u64)SEG_MAX);
		struct unix_seg *seg = unix_seg_alloc(n);
		if (seg == NULL)
			return done ? (long)done : -ENOBUFS;
		if (msg_iter_take(m->data, seg->data, n) != 0) {
			unix_seg_free(seg);
			return done ? (long)done : -EFAULT;
		}
		seg->cred = unix_my_cred();
		if (first && m->rights != NULL && m->rights->count > 0) {
			seg->rights = m->rights;   /* the files travel with this segment */
			m->rights = NULL;
		}
		unix_enqueue(u->peer, seg);
		done += n;
		first = false;
	}
	return (long)done;
}

static bool data_ready(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	return u->head != NULL || u->peer_gone || u->shut_rd;
}

/* Copy from the queue; stops before a later segment carrying files. */
static long copy_out(struct unix_sock *u, struct sock_msg *m, bool peek)
{
	u64 done = 0;
	struct unix_seg *seg = u->head;
	while (seg != NULL && msg_iter_left(m->data) > 0) {
		if (done > 0 && seg->rights != NULL)
			break;
		if (seg->off == 0 && !peek)
			unix_deliver_rights(seg, m);
		if (m->want_creds && done == 0) {
			m->creds = seg->cred;
			m->has_creds = true;
		}
		u32 n = (u32)MIN((u64)(seg->len - seg->off), msg_iter_left(m->data));
		if (msg_iter_give(m->data, seg->data + seg->off, n) != 0)
			return done ? (long)done : -EFAULT;
		done += n;
		if (peek) {
			seg = seg->next;
			continue;
		}
		seg->off += n;
		u->queued -= n;
		if (seg->off < seg->len)
			break;
		u->head = seg->next;
		if (u->head == NULL)
			u->tail = NULL;
		u->segs--;
		unix_seg_free(seg);
		seg = u->head;
	}
	return (long)done;
}

static long stream_recv(struct socket *s, struct sock_msg *m)
{
	struct unix_sock *u = unix_of(s);
	if (u->state == UNIX_LISTENING)
		return -EINVAL;
	if (u->state == UNIX_NEW && u->head == NULL)
		return -ENOTCONN;
	bool waitall = (m->flags & MSG_WAITALL) && !(m->flags & MSG_PEEK);
	u64 done = 0;
	for (;;) {
		long n = copy_out(u, m, m->flags & MSG_PEEK);
		if (n < 0)
			return done ? (long)done : n;
		done += (u64)n;
		if (n > 0 && !(m->flags & MSG_PEEK) && u->peer != NULL)
			socket_wake(u->peer->sock, VFS_POLLOUT);  /* room for the writer */
		if (msg_iter_left(m->data) == 0 || (done > 0 && !waitall) || u->peer_gone ||
		    u->shut_rd)
			return (long)done;
		int err = socket_wait(s, data_ready, m->flags & MSG_DONTWAIT, s->rcvtimeo_ns);
		if (err)
			return done ? (long)done : err;
	}
}

u32 unix_conn_poll(struct socket *s, u32 events)
{
	struct unix_sock *u = unix_of(s);
	u32 ready = 0;
	if (u->state == UNIX_LISTENING)
		return u->acc_head != NULL ? (events & VFS_POLLIN) : 0;
	if (u->head != NULL || u->peer_gone || u->shut_rd)
		ready |= VFS_POLLIN;
	if (u->peer_gone)
		ready |= SOCK_POLLRDHUP;
	if (u->state == UNIX_CONNECTED && (u->peer == NULL || u->shut_wr) && u->peer_gone)
		ready |= VFS_POLLHUP;
	if (u->state == UNIX_CONNECTED && room_at_peer(s))
		ready |= VFS_POLLOUT;
	if (u->state == UNIX_NEW)
		ready |= VFS_POLLOUT | VFS_POLLHUP;
	return ready & (events | VFS_POLLHUP | VFS_POLLERR);
}

long unix_conn_readable(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	return u->state == UNIX_LISTENING ? -EINVAL : (long)u->queued;
}

void unix_conn_release(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	if (u == NULL)
		return;
	while (u->acc_head != NULL) {   /* connections nobody accepted */
		struct unix_sock *c = u->acc_head;
		u->acc_head = c->acc_next;
		socket_destroy(c->sock);
	}
	unix_release_common(u);
	kfree(u);
	s->priv = NULL;
}

const struct socket_ops g_unix_stream_ops = {
	.bind = unix_bind,
	.listen = unix_conn_listen,
	.accept = unix_conn_accept,
	.connect = unix_conn_connect,
	.send = stream_send,
	.recv = stream_recv,
	.shutdown = unix_shutdown,
	.name = unix_name,
	.setopt = unix_setopt,
	.getopt = unix_getopt,
	.poll = unix_conn_poll,
	.readable = unix_conn_readable,
	.release = unix_conn_release,
};
