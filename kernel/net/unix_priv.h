/*
 * unix_priv.h: AF_UNIX internals shared by unix_sock.c (life, names,
 * connections), unix_stream.c and unix_dgram.c (data).
 *
 * Data waits in the receiver as a queue of segments (a seqpacket or
 * datagram message is one segment); a segment may carry
 * files (SCM_RIGHTS) and the sender's credentials. Connected sockets
 * point at each other (a datagram socket may point at one that does not
 * point back); a closing socket clears every pointer to it, so none
 * outlives its socket. Names: a path bound in a
 * filesystem (a socket node, found again by its inode) or an abstract
 * name (sun_path starting with NUL); both live in one table.
 */
#ifndef CVMIFY_NET_UNIX_PRIV_H
#define CVMIFY_NET_UNIX_PRIV_H

#include "net/socket.h"

#define UNIX_BUF_MAX (256 * 1024)  /* bytes queued at a receiver */
#define UNIX_DGRAM_QUEUE 512       /* datagrams (seqpacket: messages) queued at a receiver */
#define UNIX_MSG_MAX (212 * 1024)  /* one datagram or seqpacket message (Linux: about wmem_default) */

struct inode;

struct unix_seg {
	struct unix_seg *next;
	u32 len;                   /* data bytes */
	u32 off;                   /* bytes already read (stream) */
	struct scm_files *rights;  /* owned; NULL when none */
	struct linux_ucred cred;
	struct sockaddr_any from;  /* datagrams: the sender's name */
	u8 data[];
};

enum unix_state { UNIX_NEW, UNIX_LISTENING, UNIX_CONNECTED, UNIX_DISCONNECTED };

struct unix_sock {
	struct socket *sock;
	enum unix_state state;
	struct unix_sock *peer;         /* connected peer (not a reference) */
	struct linux_ucred peer_cred;   /* SO_PEERCRED */

	/* receive queue */
	struct unix_seg *head, *tail;
	u64 queued;                     /* data bytes */
	u32 segs;
	bool shut_rd;                   /* we stopped reading */
	bool shut_wr;                   /* we stopped writing */
	bool peer_gone;                 /* stream peer closed or shut writing: EOF */
	u32 send_want;                  /* seqpacket: the message a send waits to queue */

	/* listening */
	struct unix_sock *acc_head, *acc_tail, *acc_next;
	u32 acc_len, backlog;

	/* name */
	bool bound;
	struct sockaddr_any name;       /* what getsockname shows */
	struct inode *node;             /* path names: the socket node (a reference) */
	struct unix_sock *name_next;    /* in the name table */
	struct unix_sock *all_next;     /* in the list of every unix socket */
};

static inline struct unix_sock *unix_of(struct socket *s)
{
	return s->priv;
}

/* unix_sock.c */
/* A new, unconnected socket of type (accept's children). */
struct socket *unix_alloc(int type);
struct linux_ucred unix_my_cred(void);
/* The bound socket of that type a connect or sendto names: 0,
 * -ECONNREFUSED (nobody bound), -ENOENT, -EACCES ..., -EINVAL. */
int unix_lookup(const struct sockaddr_any *sa, int type, struct unix_sock **out);
/* Queue a segment at u; frees seg on failure. */
void unix_enqueue(struct unix_sock *u, struct unix_seg *seg);
struct unix_seg *unix_seg_alloc(u32 len);
void unix_seg_free(struct unix_seg *seg);
/* A message's sender: its credentials and name (or an unnamed one). */
void unix_seg_sender(struct unix_sock *u, struct unix_seg *seg);
/* A message of len bytes taken from m's data, with its sender set
 * (-ENOBUFS, -EFAULT). */
int unix_seg_from_msg(struct unix_sock *u, struct sock_msg *m, u32 len, struct unix_seg **out);
/* Datagram and seqpacket receive: the first message whole, or its first
 * bytes with MSG_TRUNC (the rest is dropped); 0 when none is queued. The
 * return is the message's length with MSG_TRUNC in m->flags. */
long unix_recv_message(struct unix_sock *u, struct sock_msg *m);
/* Move a segment's files into a receive (or drop them with MSG_CTRUNC). */
void unix_deliver_rights(struct unix_seg *seg, struct sock_msg *m);
int unix_setopt(struct socket *s, int level, int name, const void *val, u32 len);
int unix_getopt(struct socket *s, int level, int name, void *val, u32 *len);
int unix_name(struct socket *s, struct sockaddr_any *out, bool peer);
int unix_bind(struct socket *s, const struct sockaddr_any *addr);
/* unix(7): connect (and a datagram send) of an unbound socket with
 * SO_PASSCRED set autobinds it first. 0 or -ENOSPC. */
int unix_autobind_passcred(struct unix_sock *u);
void unix_unbind(struct unix_sock *u);
int unix_shutdown(struct socket *s, int how);
void unix_release_common(struct unix_sock *u);

/* unix_stream.c: stream sockets, and the connection half seqpacket
 * sockets share. */
extern const struct socket_ops g_unix_stream_ops;
int unix_conn_listen(struct socket *s, int backlog);
int unix_conn_connect(struct socket *s, const struct sockaddr_any *addr);
int unix_conn_accept(struct socket *s, struct socket **child, struct sockaddr_any *peer);
u32 unix_conn_poll(struct socket *s, u32 events);
long unix_conn_readable(struct socket *s);
void unix_conn_release(struct socket *s);
/* unix_seqpacket.c */
extern const struct socket_ops g_unix_seqpacket_ops;
/* unix_dgram.c */
extern const struct socket_ops g_unix_dgram_ops;

#endif
