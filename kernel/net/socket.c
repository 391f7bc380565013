/*
 * socket.c: socket objects, their files, and waiting (socket.h).
 */
#include "net/socket.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "net/msg_iter.h"
#include "net/net.h"
#include "net/socket_families.h"
#include "platform/platform.h"
#include "proc/poll.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/signal.h"
#include "syscalls/linux_abi/termios.h"

#define DEFAULT_BUF (208 * 1024) /* Linux's default rmem/wmem */

struct socket *socket_alloc(int family, int type, int protocol, const struct socket_ops *ops)
{
	struct socket *s = kzalloc(sizeof(*s));
	if (s == NULL)
		return NULL;
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	s->ops = ops;
	s->rcvbuf = DEFAULT_BUF;
	s->sndbuf = DEFAULT_BUF;
	s->rcvlowat = 1;
	waitq_init(&s->wq);
	return s;
}

void socket_destroy(struct socket *s)
{
	if (s == NULL)
		return;
	if (s->ops != NULL && s->ops->release != NULL)
		s->ops->release(s);
	kfree(s);
}

int socket_create(int family, int type, int protocol, struct socket **out)
{
	switch (family) {
	case AF_INET:
	case AF_INET6:
		return inet_socket_create(family, type, protocol, out);
	case AF_UNIX:
		return unix_socket_create(type, protocol, out);
	default:
		return -EAFNOSUPPORT;
	}
}

bool socket_nonblock(const struct socket *s)
{
	return s->file != NULL && (s->file->flags & O_NONBLOCK);
}

#define PAUSE_NS 1000000ULL

int socket_pause(bool nonblock, u64 deadline)
{
	if (nonblock)
		return -EAGAIN;
	u64 now = platform_time_ns();
	if (deadline && now >= deadline)
		return -EAGAIN;
	u64 until = now + PAUSE_NS;
	if (deadline && deadline < until)
		until = deadline;
	int err = wait_until(until, true);
	return err == -ETIMEDOUT ? 0 : err;
}

u64 socket_deadline(u64 timeout_ns)
{
	return timeout_ns ? platform_time_ns() + timeout_ns : 0;
}

int socket_wait(struct socket *s, bool (*ready)(struct socket *s), bool nonblock,
                u64 timeout_ns)
{
	u64 deadline = timeout_ns ? platform_time_ns() + timeout_ns : WAIT_FOREVER;
	struct wait_entry e;
	wait_entry_init(&e);
	int err = 0;
	for (;;) {
		wait_prepare(&s->wq, &e);
		if (ready(s))
			break;
		if (nonblock) {
			err = -EAGAIN;
			break;
		}
		err = wait_sleep(deadline, true);
		if (err == -ETIMEDOUT)
			err = -EAGAIN;  /* SO_RCVTIMEO / SO_SNDTIMEO ran out */
		if (err)
			break;
	}
	wait_finish(&e);
	return err;
}

void socket_wake(struct socket *s, u32 events)
{
	waitq_wake(&s->wq, events);
	/* O_ASYNC (FIOASYNC, F_SETFL) with an owner (F_SETOWN): SIGIO. */
	struct file *f = s->file;
	if (f != NULL && (f->flags & O_ASYNC) && f->owner > 0) {
		struct task *owner = task_find(f->owner);
		if (owner != NULL)
			signal_post(owner, SIGIO, 0);
	}
}

long socket_epipe(int flags)
{
	if (!(flags & MSG_NOSIGNAL))
		signal_post(current_task(), SIGPIPE, 0);
	return -EPIPE;
}

/* ---- the file ---------------------------------------------------------- */

static long sock_read(struct file *file, void *buf, size_t size, u64 offset)
{
	(void)offset;
	struct socket *s = file->priv;
	struct msg_iter it;
	msg_iter_kernel(&it, buf, size);
	struct sock_msg m = { .data = &it, .flags = socket_nonblock(s) ? MSG_DONTWAIT : 0 };
	return s->ops->recv(s, &m);
}

static long sock_write(struct file *file, const void *buf, size_t size, u64 offset)
{
	(void)offset;
	struct socket *s = file->priv;
	struct msg_iter it;
	msg_iter_kernel(&it, (void *)buf, size);
	struct sock_msg m = { .data = &it, .flags = socket_nonblock(s) ? MSG_DONTWAIT : 0 };
	return s->ops->send(s, &m);
}

static u32 sock_poll(struct file *file, u32 events, struct poll_table *pt)
{
	struct socket *s = file->priv;
	poll_wait(pt, &s->wq);  /* register first, then look */
	return s->ops->poll(s, events | VFS_POLLERR | VFS_POLLHUP);
}

static long sock_ioctl(struct file *file, u32 cmd, void *karg, u64 arg)
{
	(void)arg;
	struct socket *s = file->priv;
	if (cmd == FIONREAD && karg != NULL) {
		long n = s->ops->readable(s);
		if (n < 0)
			return n;
		*(int *)karg = (int)MIN(n, 0x7fffffffL);
		return 0;
	}
	return -ENOTTY;
}

static void sock_close(struct file *file)
{
	struct socket *s = file->priv;
	s->file = NULL;
	socket_destroy(s);
}

static const struct file_ops g_socket_fops = {
	.stream = true,
	.read = sock_read,
	.write = sock_write,
	.poll = sock_poll,
	.ioctl = sock_ioctl,
	.close = sock_close,
	.fasync = true, /* O_ASYNC: SIGIO to the owner on readiness */
};

struct file *socket_file(struct socket *s, bool nonblock)
{
	struct file *f = file_alloc(&g_socket_fops, NULL, O_RDWR | (nonblock ? O_NONBLOCK : 0), s);
	if (f == NULL) {
		socket_destroy(s);
		return NULL;
	}
	s->file = f;
	return f;
}

struct socket *socket_of(struct file *file)
{
	return file != NULL && file->ops == &g_socket_fops ? file->priv : NULL;
}
