/*
 * socket.c: the socket syscalls that make, name and connect sockets:
 * socket, socketpair, bind, listen, accept, accept4, connect, shutdown,
 * getsockname, getpeername (data: socket_msg.c; options: socket_opt.c).
 *
 * Trust: fds, flags, lengths and addresses are raw user input, checked
 * here; the address bytes are then the family's to check (net/).
 */
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/uaccess.h"
#include "net/socket.h"
#include "net/unix_sock.h"
#include "proc/fdtable.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/socket.h"
#include "syscalls/socket_user.h"

int sock_of_fd(int fd, struct socket **out)
{
	struct file *f;
	int err = file_of(fd, &f);
	if (err)
		return err;
	*out = socket_of(f);
	return *out ? 0 : -ENOTSOCK;
}

int sockaddr_copyin(u64 uaddr, u64 len, struct sockaddr_any *out)
{
	if (len > SOCKADDR_MAX)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->len = (u32)len;
	if (len > 0 && copyin(out->bytes, uaddr, (size_t)len) != 0)
		return -EFAULT;
	return 0;
}

int sockaddr_copyout(const struct sockaddr_any *sa, u64 uaddr, u64 ulen)
{
	if (uaddr == 0)
		return 0;
	u32 room;
	if (copyin(&room, ulen, sizeof(room)) != 0)
		return -EFAULT;
	if ((s32)room < 0)
		return -EINVAL;
	u32 n = MIN(room, sa->len);
	if (n > 0 && copyout(uaddr, sa->bytes, n) != 0)
		return -EFAULT;
	return copyout(ulen, &sa->len, sizeof(sa->len));
}

/* Give s a file and an fd; s is the file's (or destroyed) afterwards. */
int sock_install(struct socket *s, int flags)
{
	struct file *f = socket_file(s, flags & SOCK_NONBLOCK);
	if (f == NULL)
		return -ENOMEM;
	int fd = fd_install(current_task(), f, 0, flags & SOCK_CLOEXEC);
	file_put(f);
	return fd;
}

long sys_socket(const struct syscall_args *args)
{
	int family = arg_int(args->a[0]);
	int type = arg_int(args->a[1]);
	int protocol = arg_int(args->a[2]);
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (type & ~SOCK_TYPE_MASK)
		return -EINVAL;
	struct socket *s;
	int err = socket_create(family, type, protocol, &s);
	if (err)
		return err;
	return sock_install(s, flags);
}

long sys_socketpair(const struct syscall_args *args)
{
	int family = arg_int(args->a[0]);
	int type = arg_int(args->a[1]);
	int protocol = arg_int(args->a[2]);
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (family != AF_UNIX)
		return family == AF_INET || family == AF_INET6 ? -EOPNOTSUPP : -EAFNOSUPPORT;
	struct socket *a, *b;
	int err = unix_socketpair(type, protocol, &a, &b);
	if (err)
		return err;
	s32 fds[2] = {sock_install(a, flags), -1};
	if (fds[0] < 0) {
		socket_destroy(b);
		return fds[0];
	}
	fds[1] = sock_install(b, flags);
	if (fds[1] < 0) {
		fd_close(current_task(), fds[0]);
		return fds[1];
	}
	if (copyout(args->a[3], fds, sizeof(fds)) != 0) {
		fd_close(current_task(), fds[0]);
		fd_close(current_task(), fds[1]);
		return -EFAULT;
	}
	return 0;
}

/* bind and connect: an fd and an address. */
static long with_address(const struct syscall_args *args, bool connect)
{
	struct socket *s;
	struct sockaddr_any sa;
	int err = sock_of_fd(arg_int(args->a[0]), &s);
	if (!err)
		err = sockaddr_copyin(args->a[1], args->a[2], &sa);
	if (err)
		return err;
	int (*op)(struct socket *, const struct sockaddr_any *) =
	    connect ? s->ops->connect : s->ops->bind;
	return op ? op(s, &sa) : -EOPNOTSUPP;
}

long sys_bind(const struct syscall_args *args)
{
	return with_address(args, false);
}

long sys_listen(const struct syscall_args *args)
{
	struct socket *s;
	int err = sock_of_fd(arg_int(args->a[0]), &s);
	if (err)
		return err;
	return s->ops->listen ? s->ops->listen(s, arg_int(args->a[1])) : -EOPNOTSUPP;
}

static long do_accept(int fd, u64 uaddr, u64 ulen, int flags)
{
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	struct socket *s;
	int err = sock_of_fd(fd, &s);
	if (err)
		return err;
	if (s->ops->accept == NULL)
		return -EOPNOTSUPP;
	struct socket *child = NULL;
	struct sockaddr_any peer;
	memset(&peer, 0, sizeof(peer));
	err = s->ops->accept(s, &child, &peer);
	if (err)
		return err;
	err = sockaddr_copyout(&peer, uaddr, ulen);
	if (err) {
		socket_destroy(child);  /* Linux also loses the connection here */
		return err;
	}
	return sock_install(child, flags);
}

long sys_accept(const struct syscall_args *args)
{
	return do_accept(arg_int(args->a[0]), args->a[1], args->a[2], 0);
}

long sys_accept4(const struct syscall_args *args)
{
	return do_accept(arg_int(args->a[0]), args->a[1], args->a[2], arg_int(args->a[3]));
}

long sys_connect(const struct syscall_args *args)
{
	return with_address(args, true);
}

long sys_shutdown(const struct syscall_args *args)
{
	struct socket *s;
	int how = arg_int(args->a[1]);
	int err = sock_of_fd(arg_int(args->a[0]), &s);
	if (err)
		return err;
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	return s->ops->shutdown ? s->ops->shutdown(s, how) : -EOPNOTSUPP;
}

static long do_name(const struct syscall_args *args, bool peer)
{
	struct socket *s;
	int err = sock_of_fd(arg_int(args->a[0]), &s);
	if (err)
		return err;
	struct sockaddr_any sa;
	memset(&sa, 0, sizeof(sa));
	err = s->ops->name(s, &sa, peer);
	if (err)
		return err;
	return sockaddr_copyout(&sa, args->a[1], args->a[2]);
}

long sys_getsockname(const struct syscall_args *args)
{
	return do_name(args, false);
}

long sys_getpeername(const struct syscall_args *args)
{
	return do_name(args, true);
}
