/*
 * unix_sock.c: AF_UNIX socket life, names and options (unix_priv.h).
 *
 * Trust: sun_path is user input: its length is bounded by the address
 * length, a path name must be NUL-free up to its end and resolves through
 * the VFS with the caller's permissions (connect needs write access to
 * the socket node, as on Linux).
 */
#include "net/unix_priv.h"
#include "net/unix_sock.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "net/msg_iter.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

#define ADDR_HEADER 2   /* sun_family */
#define AUTOBIND_LEN 6  /* NUL + five hex digits */
#define AUTOBIND_NAMES 0x100000

static struct unix_sock *g_names;  /* every bound socket */
static struct unix_sock *g_all;    /* every unix socket */

struct linux_ucred unix_my_cred(void)
{
	struct task *t = current_task();
	struct linux_ucred c = { (u32)t->pid, t->euid, t->egid };
	return c;
}

struct unix_seg *unix_seg_alloc(u32 len)
{
	struct unix_seg *seg = kzalloc(sizeof(*seg) + (len ? len : 1));
	if (seg != NULL)
		seg->len = len;
	return seg;
}

static void put_rights(struct scm_files *r)
{
	if (r == NULL)
		return;
	for (u32 i = 0; i < r->count; i++)
		file_put(r->files[i]);
	kfree(r);
}

void unix_seg_free(struct unix_seg *seg)
{
	put_rights(seg->rights);
	kfree(seg);
}

void unix_enqueue(struct unix_sock *u, struct unix_seg *seg)
{
	seg->next = NULL;
	if (u->tail != NULL)
		u->tail->next = seg;
	else
		u->head = seg;
	u->tail = seg;
	u->queued += seg->len;
	u->segs++;
	socket_wake(u->sock, VFS_POLLIN);
}

void unix_seg_sender(struct unix_sock *u, struct unix_seg *seg)
{
	seg->cred = unix_my_cred();
	/* Linux: the sender's name (an accepted socket has its listener's,
	 * as getsockname says); none at all, length 0, when it has none. */
	if (u->name.len > 0)
		seg->from = u->name;
	else
		memset(&seg->from, 0, sizeof(seg->from));
}

int unix_seg_from_msg(struct unix_sock *u, struct sock_msg *m, u32 len, struct unix_seg **out)
{
	struct unix_seg *seg = unix_seg_alloc(len);
	if (seg == NULL)
		return -ENOBUFS;
	if (msg_iter_take(m->data, seg->data, len) != 0) {
		unix_seg_free(seg);
		return -EFAULT;
	}
	unix_seg_sender(u, seg);
	*out = seg;
	return 0;
}

long unix_recv_message(struct unix_sock *u, struct sock_msg *m)
{
	struct unix_seg *seg = u->head;
	if (seg == NULL)
		return 0;
	u32 n = (u32)MIN((u64)seg->len, msg_iter_left(m->data));
	if (msg_iter_give(m->data, seg->data, n) != 0)
		return -EFAULT;
	if (n < seg->len)
		m->out_flags |= MSG_TRUNC;
	if (m->name != NULL)
		*m->name = seg->from;
	if (m->want_creds) {
		m->creds = seg->cred;
		m->has_creds = true;
	}
	long ret = (m->flags & MSG_TRUNC) ? (long)seg->len : (long)n;
	if (m->flags & MSG_PEEK)
		return ret;
	unix_deliver_rights(seg, m);
	u->head = seg->next;
	if (u->head == NULL)
		u->tail = NULL;
	u->queued -= seg->len;
	u->segs--;
	unix_seg_free(seg);
	return ret;
}

void unix_deliver_rights(struct unix_seg *seg, struct sock_msg *m)
{
	struct scm_files *r = seg->rights;
	seg->rights = NULL;
	if (r == NULL)
		return;
	if (m->rights == NULL) {
		m->out_flags |= MSG_CTRUNC;
		put_rights(r);
		return;
	}
	for (u32 i = 0; i < r->count && m->rights->count < SCM_MAX_FD; i++) {
		m->rights->files[m->rights->count++] = r->files[i];
		r->files[i] = NULL;
	}
	for (u32 i = 0; i < r->count; i++) {
		if (r->files[i] != NULL) {
			file_put(r->files[i]);
			m->out_flags |= MSG_CTRUNC;
		}
	}
	kfree(r);
}

/* ---- names ---------------------------------------------------------------- */

/* The address checked: *path points at sun_path, *len is its meaningful
 * length (abstract names: all bytes; path names: up to the first NUL). */
static int parse_name(const struct sockaddr_any *sa, const char **path, u32 *len,
                      bool *abstract)
{
	if (sa->len < ADDR_HEADER || sa->family != AF_UNIX)
		return -EINVAL;
	if (sa->len > sizeof(struct linux_sockaddr_un))
		return -EINVAL;
	*path = (const char *)sa->bytes + ADDR_HEADER;
	u32 n = sa->len - ADDR_HEADER;
	if (n == 0)
		return -EINVAL;   /* no name (bind autobinds before parsing) */
	*abstract = (*path)[0] == 0;
	if (*abstract) {
		*len = n;
		return 0;
	}
	*len = (u32)strnlen(*path, n);
	return 0;
}

/* A NUL-terminated copy of a path name (kmalloc'ed). */
static char *path_copy(const char *path, u32 len)
{
	char *p = kmalloc(len + 1);
	if (p != NULL) {
		memcpy(p, path, len);
		p[len] = 0;
	}
	return p;
}

static bool same_abstract(const struct unix_sock *u, const char *name, u32 len)
{
	return u->node == NULL && u->name.len == ADDR_HEADER + len &&
	       memcmp(u->name.bytes + ADDR_HEADER, name, len) == 0;
}

static bool abstract_taken(const char *name, u32 len)
{
	for (struct unix_sock *o = g_names; o != NULL; o = o->name_next) {
		if (same_abstract(o, name, len))
			return true;
	}
	return false;
}

/* Record u's name: sun_path's len meaningful bytes, plus the NUL that
 * getsockname reports after a path name. */
static void set_name(struct unix_sock *u, const char *path, u32 len, bool abstract)
{
	memset(&u->name, 0, sizeof(u->name));
	u->name.family = AF_UNIX;
	memcpy(u->name.bytes + ADDR_HEADER, path, len);
	u->name.len = ADDR_HEADER + len + (abstract ? 0 : 1);
	if (u->name.len > sizeof(struct linux_sockaddr_un))
		u->name.len = sizeof(struct linux_sockaddr_un);
	u->bound = true;
	u->name_next = g_names;
	g_names = u;
}

/* Linux's autobind (bind with the family only): an abstract name of a
 * NUL and five hex digits, the first free one from a running counter. */
static int autobind(struct unix_sock *u)
{
	static u32 g_next_auto;
	char name[AUTOBIND_LEN];
	for (u32 tries = 0; tries < AUTOBIND_NAMES; tries++) {
		u32 n = g_next_auto++ % AUTOBIND_NAMES;
		name[0] = 0;
		for (int i = 0; i < 5; i++)
			name[1 + i] = "0123456789abcdef"[(n >> (16 - 4 * i)) & 0xf];
		if (!abstract_taken(name, AUTOBIND_LEN)) {
			set_name(u, name, AUTOBIND_LEN, true);
			return 0;
		}
	}
	return -ENOSPC; /* Linux too, with every name taken */
}

int unix_autobind_passcred(struct unix_sock *u)
{
	return u->sock->passcred && !u->bound ? autobind(u) : 0;
}

int unix_bind(struct socket *s, const struct sockaddr_any *addr)
{
	struct unix_sock *u = unix_of(s);
	if (addr->len == ADDR_HEADER && addr->family == AF_UNIX)
		return u->bound ? 0 : autobind(u); /* Linux: a no-op when bound */
	const char *path;
	u32 len;
	bool abstract;
	int err = parse_name(addr, &path, &len, &abstract);
	if (err)
		return err;
	if (u->bound)
		return -EINVAL;
	if (abstract) {
		if (abstract_taken(path, len))
			return -EADDRINUSE;
	} else {
		char *p = path_copy(path, len);
		if (p == NULL)
			return -ENOMEM;
		struct task *t = current_task();
		err = vfs_mknod(t->cwd, p, S_IFSOCK | (0777 & ~t->umask));
		if (err == 0)
			err = vfs_lookup(t->cwd, p, 0, &u->node);
		kfree(p);
		if (err)
			return err == -EEXIST ? -EADDRINUSE : err;
	}
	set_name(u, path, len, abstract);
	return 0;
}

void unix_unbind(struct unix_sock *u)
{
	if (!u->bound)
		return;
	for (struct unix_sock **p = &g_names; *p != NULL; p = &(*p)->name_next) {
		if (*p == u) {
			*p = u->name_next;
			break;
		}
	}
	inode_put(u->node);  /* the name stays in its directory, as on Linux */
	u->node = NULL;
	u->bound = false;
}

int unix_lookup(const struct sockaddr_any *sa, int type, struct unix_sock **out)
{
	const char *path;
	u32 len;
	bool abstract;
	int err = parse_name(sa, &path, &len, &abstract);
	if (err)
		return err;
	struct inode *node = NULL;
	if (!abstract) {
		char *p = path_copy(path, len);
		if (p == NULL)
			return -ENOMEM;
		err = vfs_lookup(current_task()->cwd, p, LOOKUP_FOLLOW, &node);
		kfree(p);
		if (err)
			return err;
		struct vfs_cred cred;
		vfs_current_cred(&cred);
		if ((node->mode & S_IFMT) != S_IFSOCK)
			err = -ECONNREFUSED;
		else
			err = vfs_access(node, W_OK, &cred);
	}
	struct unix_sock *found = NULL;
	for (struct unix_sock *o = g_names; o != NULL && !err && found == NULL; o = o->name_next) {
		bool match = abstract ? same_abstract(o, path, len)
		                      : (o->node != NULL && o->node->sb == node->sb &&
		                         o->node->ino == node->ino);
		if (match)
			found = o;
	}
	inode_put(node);
	if (err)
		return err;
	if (found == NULL)
		return -ECONNREFUSED;
	if (found->sock->type != type)
		return -EPROTOTYPE;
	*out = found;
	return 0;
}

int unix_name(struct socket *s, struct sockaddr_any *out, bool peer)
{
	struct unix_sock *u = unix_of(s);
	struct unix_sock *who = u;
	if (peer) {
		if (u->peer == NULL)
			return -ENOTCONN;
		who = u->peer;
	}
	if (who->name.len > 0) {  /* bound, or accepted on a bound listener */
		*out = who->name;
	} else {
		memset(out, 0, sizeof(*out));
		out->family = AF_UNIX;
		out->len = ADDR_HEADER;
	}
	return 0;
}

/* ---- options, shutdown, release -------------------------------------- */

int unix_setopt(struct socket *s, int level, int name, const void *val, u32 len)
{
	(void)s;
	(void)name;
	(void)val;
	(void)len;
	return level == SOL_SOCKET ? 0 : -ENOPROTOOPT; /* SOL_SOCKET ones are kept */
}

int unix_getopt(struct socket *s, int level, int name, void *val, u32 *len)
{
	struct unix_sock *u = unix_of(s);
	if (level == SOL_SOCKET && name == SO_PEERCRED) {
		if (u->state != UNIX_CONNECTED && u->peer == NULL)
			return -ENOTCONN;
		u32 n = MIN(*len, (u32)sizeof(u->peer_cred));
		memcpy(val, &u->peer_cred, n);
		*len = n;
		return 0;
	}
	if (level == SOL_SOCKET && name == SO_ERROR) {
		int v = 0;
		u32 n = MIN(*len, (u32)sizeof(v));
		memcpy(val, &v, n);
		*len = n;
		return 0;
	}
	return -ENOPROTOOPT;
}

int unix_shutdown(struct socket *s, int how)
{
	struct unix_sock *u = unix_of(s);
	bool connection = s->type != SOCK_DGRAM;  /* stream or seqpacket */
	if (u->peer == NULL && connection)
		return -ENOTCONN;
	if (how == SHUT_RD || how == SHUT_RDWR)
		u->shut_rd = true;
	if (how == SHUT_WR || how == SHUT_RDWR) {
		u->shut_wr = true;
		if (u->peer != NULL && connection) {
			u->peer->peer_gone = true;
			socket_wake(u->peer->sock, VFS_POLLIN | SOCK_POLLRDHUP);
		}
	}
	socket_wake(s, 0);
	return 0;
}

/* Drop everything u holds; its peer sees the end of the connection. */
void unix_release_common(struct unix_sock *u)
{
	if (u->peer != NULL) {
		u->peer->peer_gone = true;
		if (u->peer->peer == u)
			u->peer->peer = NULL;
		socket_wake(u->peer->sock, VFS_POLLIN | VFS_POLLOUT | VFS_POLLHUP | SOCK_POLLRDHUP);
		u->peer = NULL;
	}
	for (struct unix_sock **p = &g_all; *p != NULL;) {
		if ((*p)->peer == u)  /* datagram sockets connected to us */
			(*p)->peer = NULL;
		if (*p == u)
			*p = u->all_next;
		else
			p = &(*p)->all_next;
	}
	while (u->head != NULL) {
		struct unix_seg *seg = u->head;
		u->head = seg->next;
		unix_seg_free(seg);
	}
	unix_unbind(u);
}

/* ---- creation ---------------------------------------------------------- */

struct socket *unix_alloc(int type)
{
	const struct socket_ops *ops = type == SOCK_STREAM      ? &g_unix_stream_ops
	                               : type == SOCK_SEQPACKET ? &g_unix_seqpacket_ops
	                                                        : &g_unix_dgram_ops;
	struct socket *s = socket_alloc(AF_UNIX, type, 0, ops);
	struct unix_sock *u = kzalloc(sizeof(*u));
	if (s == NULL || u == NULL) {
		kfree(s);
		kfree(u);
		return NULL;
	}
	u->sock = s;
	s->priv = u;
	u->all_next = g_all;
	g_all = u;
	return s;
}

int unix_socket_create(int type, int protocol, struct socket **out)
{
	if (protocol != 0)
		return -EPROTONOSUPPORT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	*out = unix_alloc(type);
	return *out ? 0 : -ENOMEM;
}

int unix_socketpair(int type, int protocol, struct socket **a, struct socket **b)
{
	int err = unix_socket_create(type, protocol, a);
	if (err)
		return err;
	err = unix_socket_create(type, protocol, b);
	if (err) {
		socket_destroy(*a);
		return err;
	}
	struct unix_sock *ua = unix_of(*a), *ub = unix_of(*b);
	ua->peer = ub;
	ub->peer = ua;
	ua->state = ub->state = UNIX_CONNECTED;
	ua->peer_cred = ub->peer_cred = unix_my_cred();
	return 0;
}
