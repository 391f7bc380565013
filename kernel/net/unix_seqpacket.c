/*
 * unix_seqpacket.c: AF_UNIX seqpacket sockets: connections like stream
 * sockets (listen, connect, accept, poll and release are unix_stream.c's),
 * messages like datagrams: each send is one segment, queued whole, with
 * its files and credentials; each receive takes one message, and what
 * does not fit is dropped (MSG_TRUNC). An empty message reads as 0, as
 * EOF does, as on Linux.
 */
#include "fs/vfs.h"
#include "mm/kmalloc.h"
#include "net/msg_iter.h"
#include "net/unix_priv.h"
#include "syscalls/linux_abi/errno.h"

/* The peer can take the message a send waits with (u->send_want): a
 * message larger than the free room still goes into an empty queue. */
static bool room_for_message(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	struct unix_sock *p = u->peer;
	if (p == NULL || u->shut_wr || p->shut_rd)
		return true;  /* the send fails now */
	if (p->segs >= UNIX_DGRAM_QUEUE)
		return false;
	return p->queued == 0 || p->queued + u->send_want <= UNIX_BUF_MAX;
}

/* Linux ignores an address given to a connected seqpacket send. */
static long seqpacket_send(struct socket *s, struct sock_msg *m)
{
	struct unix_sock *u = unix_of(s);
	if (u->state != UNIX_CONNECTED)
		return u->state == UNIX_NEW && !u->peer_gone ? -ENOTCONN : socket_epipe(m->flags);
	u64 len = msg_iter_left(m->data);
	if (len > UNIX_MSG_MAX)
		return -EMSGSIZE;
	struct unix_seg *seg = NULL;
	int err = unix_seg_from_msg(u, m, (u32)len, &seg);
	if (err)
		return err;
	u->send_want = (u32)len;
	for (;;) {
		if (u->peer == NULL || u->shut_wr || u->peer->shut_rd) {
			unix_seg_free(seg);
			return socket_epipe(m->flags);
		}
		if (room_for_message(s))
			break;
		int err = socket_wait(s, room_for_message, m->flags & MSG_DONTWAIT, s->sndtimeo_ns);
		if (err) {
			unix_seg_free(seg);
			return err;
		}
	}
	seg->rights = m->rights;   /* the files travel with this message */
	m->rights = NULL;
	unix_enqueue(u->peer, seg);
	return (long)len;
}

static bool message_ready(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	return u->head != NULL || u->peer_gone || u->shut_rd;
}

static long seqpacket_recv(struct socket *s, struct sock_msg *m)
{
	struct unix_sock *u = unix_of(s);
	if (u->state == UNIX_LISTENING)
		return -EINVAL;
	if (u->state == UNIX_NEW && u->head == NULL)
		return -ENOTCONN;
	int err = socket_wait(s, message_ready, m->flags & MSG_DONTWAIT, s->rcvtimeo_ns);
	if (err)
		return err;
	long n = unix_recv_message(u, m);  /* 0 with an empty queue: EOF */
	if (n >= 0 && !(m->flags & MSG_PEEK) && u->peer != NULL)
		socket_wake(u->peer->sock, VFS_POLLOUT);  /* room for the writer */
	return n;
}

const struct socket_ops g_unix_seqpacket_ops = {
	.bind = unix_bind,
	.listen = unix_conn_listen,
	.accept = unix_conn_accept,
	.connect = unix_conn_connect,
	.send = seqpacket_send,
	.recv = seqpacket_recv,
	.shutdown = unix_shutdown,
	.name = unix_name,
	.setopt = unix_setopt,
	.getopt = unix_getopt,
	.poll = unix_conn_poll,
	.readable = unix_conn_readable,
	.release = unix_conn_release,
};
