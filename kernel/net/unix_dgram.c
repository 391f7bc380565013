/*
 * unix_dgram.c: AF_UNIX datagram sockets: each send is one message in
 * the receiver's queue (bounded: a sender waits for room, or gets
 * -EAGAIN), with the sender's name, credentials and files.
 */
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "net/msg_iter.h"
#include "net/unix_priv.h"
#include "syscalls/linux_abi/errno.h"

static int dgram_connect(struct socket *s, const struct sockaddr_any *addr)
{
	struct unix_sock *u = unix_of(s);
	if (addr->len >= sizeof(u16) && addr->family == AF_UNSPEC) {
		u->peer = NULL;
		u->state = UNIX_NEW;
		return 0;
	}
	struct unix_sock *target;
	int err = unix_autobind_passcred(u);
	if (!err)
		err = unix_lookup(addr, SOCK_DGRAM, &target);
	if (err)
		return err;
	u->peer = target;
	u->state = UNIX_CONNECTED;
	u->peer_cred = unix_my_cred();
	return 0;
}

static bool has_room(const struct unix_sock *t)
{
	return t->segs < UNIX_DGRAM_QUEUE && t->queued < UNIX_BUF_MAX;
}

/* Where a datagram goes: the named socket or the connected one. */
static int target_of(struct unix_sock *u, const struct sock_msg *m, struct unix_sock **out)
{
	if (m->name != NULL)
		return unix_lookup(m->name, SOCK_DGRAM, out);
	if (u->state != UNIX_CONNECTED)
		return -EDESTADDRREQ;
	if (u->peer == NULL)
		return -ECONNREFUSED;   /* the socket we were connected to closed */
	*out = u->peer;
	return 0;
}

static long dgram_send(struct socket *s, struct sock_msg *m)
{
	struct unix_sock *u = unix_of(s);
	u64 len = msg_iter_left(m->data);
	if (len > UNIX_MSG_MAX)
		return -EMSGSIZE;
	if (u->shut_wr)
		return socket_epipe(m->flags);
	int err = unix_autobind_passcred(u);
	if (err)
		return err;
	struct unix_seg *seg = NULL;
	err = unix_seg_from_msg(u, m, (u32)len, &seg);
	if (err)
		return err;
	u64 deadline = socket_deadline(s->sndtimeo_ns);
	for (;;) {
		struct unix_sock *t;
		err = target_of(u, m, &t);
		if (!err && t->shut_rd)
			err = -EPIPE;
		if (err) {
			unix_seg_free(seg);
			return err;
		}
		if (has_room(t)) {
			seg->rights = m->rights;
			m->rights = NULL;
			unix_enqueue(t, seg);
			return (long)len;
		}
		err = socket_pause(m->flags & MSG_DONTWAIT, deadline);
		if (err) {
			unix_seg_free(seg);
			return err;
		}
	}
}

static bool dgram_ready(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	return u->head != NULL || u->shut_rd;
}

static long dgram_recv(struct socket *s, struct sock_msg *m)
{
	struct unix_sock *u = unix_of(s);
	int err = socket_wait(s, dgram_ready, m->flags & MSG_DONTWAIT, s->rcvtimeo_ns);
	if (err)
		return err;
	return unix_recv_message(u, m);
}

static u32 dgram_poll(struct socket *s, u32 events)
{
	struct unix_sock *u = unix_of(s);
	u32 ready = 0;
	if (u->head != NULL || u->shut_rd)
		ready |= VFS_POLLIN;
	if (u->peer == NULL || has_room(u->peer))
		ready |= VFS_POLLOUT;
	return ready & (events | VFS_POLLHUP | VFS_POLLERR);
}

static long dgram_readable(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	return u->head != NULL ? (long)u->head->len : 0;
}

static void dgram_release(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	if (u == NULL)
		return;
	unix_release_common(u);
	kfree(u);
	s->priv = NULL;
}

const struct socket_ops g_unix_dgram_ops = {
	.bind = unix_bind,
	.connect = dgram_connect,
	.send = dgram_send,
	.recv = dgram_recv,
	.shutdown = unix_shutdown,
	.name = unix_name,
	.setopt = unix_setopt,
	.getopt = unix_getopt,
	.poll = dgram_poll,
	.readable = dgram_readable,
	.release = dgram_release,
};
