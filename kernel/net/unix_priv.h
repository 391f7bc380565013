/*
 * unix_priv.h: AF_UNIX internals shared by unix_sock.c (life, names,
 * connections), unix_stream.c and unix_dgram.c (data).
 *
 * Data waits in the receiver as a queue of segments; a segment may carry
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
#define UNIX_DGRAM_QUEUE 512       /* datagrams queued at a receiver */

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
/* Move a segment's files into a receive (or drop them with MSG_CTRUNC). */
void unix_deliver_rights(struct unix_seg *seg, struct sock_msg *m);
int unix_setopt(struct socket *s, int level, int name, const void *val, u32 len);
int unix_getopt(struct socket *s, int level, int name, void *val, u32 *len);
int unix_name(struct socket *s, struct sockaddr_any *out, bool peer);
int unix_bind(struct socket *s, const struct sockaddr_any *addr);
void unix_unbind(struct unix_sock *u);
int unix_shutdown(struct socket *s, int how);
void unix_release_common(struct unix_sock *u);

/* unix_stream.c */
extern const struct socket_ops g_unix_stream_ops;
/* unix_dgram.c */
extern const struct socket_ops g_unix_dgram_ops;

#endif
