/*
 * socket.h: the socket object behind a socket fd, and what each family
 * (inet TCP, inet UDP, unix stream, seqpacket, datagram) implements.
 *
 * Ownership: a socket belongs to its struct file (file->priv); the last
 * file_put releases it (ops->release). A socket made by accept has no
 * file until the syscall layer wraps it (socket_file). Options common to
 * every family live here (SOL_SOCKET); families see them through the
 * fields below and may refuse or apply them (ops->setopt).
 *
 * Waiting: every blocking socket call waits in socket_wait on the
 * socket's wait queue; whatever changes a socket's readiness (lwIP's
 * callbacks, a peer's send or close) calls socket_wake. poll, select
 * and epoll register the same queue.
 */
#ifndef CVMIFY_NET_SOCKET_H
#define CVMIFY_NET_SOCKET_H

#include "lib/types.h"
#include "proc/wait.h"
#include "syscalls/linux_abi/socket.h"

struct file;
struct msg_iter;
struct socket;

/* A socket address as user space gave it (or will get it): raw bytes,
 * checked by the family that reads it. */
struct sockaddr_any {
	u32 len;
	union {
		u16 family;
		u8 bytes[SOCKADDR_MAX];
	};
};

/* Files passed with SCM_RIGHTS (references owned by the holder). */
#define SCM_MAX_FD 253
struct scm_files {
	u32 count;
	struct file *files[SCM_MAX_FD];
};

/* One sendmsg or recvmsg in kernel terms. */
struct sock_msg {
	struct msg_iter *data;
	struct sockaddr_any *name;   /* send: destination (NULL: none); recv: source or NULL */
	struct scm_files *rights;    /* send: files to pass; recv: where to put passed ones */
	bool want_creds;             /* recv: the family fills creds (SO_PASSCRED) */
	bool has_creds;
	struct linux_ucred creds;
	int flags;                   /* MSG_* in (MSG_DONTWAIT set for O_NONBLOCK files) */
	int out_flags;               /* recv: MSG_TRUNC, MSG_CTRUNC */
};

struct socket_ops {
	int (*bind)(struct socket *s, const struct sockaddr_any *addr);
	int (*listen)(struct socket *s, int backlog);
	/* A connected child socket (no file yet) and the peer's address. */
	int (*accept)(struct socket *s, struct socket **child, struct sockaddr_any *peer);
	int (*connect)(struct socket *s, const struct sockaddr_any *addr);
	long (*send)(struct socket *s, struct sock_msg *m);
	long (*recv)(struct socket *s, struct sock_msg *m);
	int (*shutdown)(struct socket *s, int how);
	int (*name)(struct socket *s, struct sockaddr_any *out, bool peer);
	/* Family options (SOL_TCP, SOL_IPV6 ...) and SOL_SOCKET ones the
	 * family applies; -ENOPROTOOPT when unknown. */
	int (*setopt)(struct socket *s, int level, int name, const void *val, u32 len);
	int (*getopt)(struct socket *s, int level, int name, void *val, u32 *len);
	u32 (*poll)(struct socket *s, u32 events);
	/* Bytes a read would return now (FIONREAD, SIOCINQ). */
	long (*readable)(struct socket *s);
	void (*release)(struct socket *s);
};

struct socket {
	int family;
	int type;                    /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET (unix) */
	int protocol;
	const struct socket_ops *ops;
	struct file *file;           /* the file holding it (not a reference) */
	void *priv;                  /* the family's state */
	struct waitq wq;             /* readers, writers, pollers */

	/* SOL_SOCKET options */
	bool reuseaddr, reuseport, keepalive, broadcast, passcred, oobinline;
	bool listening;
	struct linux_linger linger;
	u32 rcvbuf, sndbuf;          /* bytes as set (getsockopt reports twice) */
	u32 rcvlowat;
	u64 rcvtimeo_ns, sndtimeo_ns; /* 0: wait forever */
	int error;                   /* pending SO_ERROR, a positive errno */
};

/* The vfs poll bits sockets add (Linux values). */
#define SOCK_POLLPRI 0x002
#define SOCK_POLLRDHUP 0x2000

/* A new socket of the family/type/protocol (socket(2) checks); the
 * family fills ops and priv. 0, -EAFNOSUPPORT, -EPROTONOSUPPORT,
 * -ESOCKTNOSUPPORT, -EINVAL, -ENOMEM. */
int socket_create(int family, int type, int protocol, struct socket **out);
/* A bare socket object for a family's create or accept. */
struct socket *socket_alloc(int family, int type, int protocol, const struct socket_ops *ops);
/* Release a socket that has no file (a failed create, an accept child
 * nobody took). */
void socket_destroy(struct socket *s);

/* Wrap s in a new file (O_RDWR | nonblock); s belongs to the file from
 * then on. NULL when out of memory (s is destroyed). */
struct file *socket_file(struct socket *s, bool nonblock);
/* The socket behind a file, or NULL if it is not a socket. */
struct socket *socket_of(struct file *file);

/* True when the caller must not block: an O_NONBLOCK file. */
bool socket_nonblock(const struct socket *s);

/* Sleep until ready(s) holds: 0, -EAGAIN (nonblock, or the timeout of
 * timeout_ns passed, 0 = none), -EINTR (a signal). ready runs with the
 * big kernel lock and must not sleep. */
int socket_wait(struct socket *s, bool (*ready)(struct socket *s), bool nonblock,
                u64 timeout_ns);

/* Readiness of s changed (events: the VFS_POLL* bits that became true,
 * or 0): wake its waiters. Any context that holds the big kernel lock. */
void socket_wake(struct socket *s, u32 events);

/* The SOL_SOCKET options (socket_opt.c); families are consulted too. */
int socket_setopt(struct socket *s, int level, int name, const void *val, u32 len);
int socket_getopt(struct socket *s, int level, int name, void *val, u32 *len);

/* One step of a wait on another socket's state, which may go away
 * meanwhile (a full listen backlog, a full datagram queue): sleep a
 * millisecond and let the caller look again. -EAGAIN (nonblock, or past
 * deadline, 0 = none), -EINTR (a signal), else 0. */
int socket_pause(bool nonblock, u64 deadline);
/* The deadline for a timeout (0: none). */
u64 socket_deadline(u64 timeout_ns);

/* Post SIGPIPE to the caller unless MSG_NOSIGNAL; returns -EPIPE. */
long socket_epipe(int flags);

#endif
