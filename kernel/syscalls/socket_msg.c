/*
 * socket_msg.c: data on sockets: sendto, recvfrom, sendmsg, recvmsg,
 * sendmmsg, recvmmsg, with SCM_RIGHTS and SCM_CREDENTIALS ancillary data.
 *
 * Trust: message headers, iovec arrays and control buffers are user
 * memory: copied in once, lengths and counts checked here before the
 * socket sees them. Files passed with SCM_RIGHTS are looked up in the
 * sender's table here and installed in the receiver's table here.
 */
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "net/msg_iter.h"
#include "net/socket.h"
#include "proc/fdtable.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/socket.h"
#include "syscalls/socket_user.h"

#define CONTROL_MAX (64 * 1024)
#define MMSG_MAX 1024   /* UIO_MAXIOV, Linux's vlen cap */

/* A msghdr turned into kernel terms; owns its allocations. */
struct kmsg {
	struct linux_msghdr hdr;
	struct linux_iovec *iov;
	struct msg_iter it;
	struct sockaddr_any name;
	struct scm_files *rights;
	struct sock_msg m;
};

/* The files still held: a send's the family did not take (it sets
 * m.rights to NULL when it does), a receive's after they were installed
 * (the fd table has its own references). */
static void kmsg_free(struct kmsg *k)
{
	struct scm_files *r = k->m.rights;
	if (r != NULL) {
		for (u32 i = 0; i < r->count; i++)
			file_put(r->files[i]);
		kfree(r);
	}
	kfree(k->iov);
}

static int load_iov(struct kmsg *k)
{
	if (k->hdr.msg_iovlen > MSG_ITER_MAX_SEGS)
		return -EMSGSIZE;
	size_t size = k->hdr.msg_iovlen * sizeof(struct linux_iovec);
	k->iov = kmalloc(size ? size : 1);
	if (k->iov == NULL)
		return -ENOMEM;
	if (size && copyin(k->iov, k->hdr.msg_iov, size) != 0)
		return -EFAULT;
	return msg_iter_user(&k->it, k->iov, (u32)k->hdr.msg_iovlen);
}

/* Collect the files of one SCM_RIGHTS message. */
static int take_rights(struct kmsg *k, const u8 *data, u64 len)
{
	if (len % sizeof(s32) != 0)
		return -EINVAL;
	if (k->rights == NULL && (k->rights = kzalloc(sizeof(*k->rights))) == NULL)
		return -ENOMEM;
	for (u64 off = 0; off < len; off += sizeof(s32)) {
		s32 fd;
		memcpy(&fd, data + off, sizeof(fd));
		struct file *f = fd_get(current_task(), fd);
		if (f == NULL)
			return -EBADF;
		if (k->rights->count == SCM_MAX_FD)
			return -ETOOMANYREFS;
		k->rights->files[k->rights->count++] = file_get(f);
	}
	return 0;
}

static int load_control(struct kmsg *k, struct socket *s)
{
	u64 size = k->hdr.msg_controllen;
	if (size == 0 || k->hdr.msg_control == 0)
		return 0;
	if (size > CONTROL_MAX)
		return -ENOBUFS;
	u8 *buf = kmalloc(size);
	if (buf == NULL)
		return -ENOMEM;
	int err = copyin(buf, k->hdr.msg_control, size) ? -EFAULT : 0;
	u64 off = 0;
	while (!err && size - off >= sizeof(struct linux_cmsghdr)) {
		struct linux_cmsghdr c;
		memcpy(&c, buf + off, sizeof(c));
		if (c.cmsg_len < sizeof(c) || c.cmsg_len > size - off) {
			err = -EINVAL;
			break;
		}
		const u8 *data = buf + off + sizeof(c);
		u64 len = c.cmsg_len - sizeof(c);
		if (c.cmsg_level == SOL_SOCKET && c.cmsg_type == SCM_RIGHTS && s->family == AF_UNIX)
			err = take_rights(k, data, len);
		else if (c.cmsg_level == SOL_SOCKET && c.cmsg_type == SCM_CREDENTIALS &&
		         s->family == AF_UNIX)
			err = len == sizeof(struct linux_ucred) ? 0 : -EINVAL; /* the kernel's are sent */
		else
			err = -EINVAL;
		off += CMSG_ALIGN_LEN(c.cmsg_len);
	}
	kfree(buf);
	return err;
}

static int load_msg(struct kmsg *k, struct socket *s, u64 umsg, bool sending)
{
	memset(k, 0, sizeof(*k));
	if (copyin(&k->hdr, umsg, sizeof(k->hdr)) != 0)
		return -EFAULT;
	int err = load_iov(k);
	if (err)
		return err;
	k->m.data = &k->it;
	if (sending) {
		if (k->hdr.msg_name != 0) {
			err = sockaddr_copyin(k->hdr.msg_name, k->hdr.msg_namelen, &k->name);
			k->m.name = &k->name;
		}
		if (!err)
			err = load_control(k, s);
		k->m.rights = k->rights; /* kmsg_free drops what the family leaves */
	} else {
		if (k->hdr.msg_name != 0)
			k->m.name = &k->name;
		k->m.want_creds = s->passcred;
		if (s->family == AF_UNIX && k->hdr.msg_controllen > 0) {
			k->rights = kzalloc(sizeof(*k->rights));
			if (k->rights == NULL)
				return -ENOMEM;
			k->m.rights = k->rights;
		}
	}
	return err;
}

static long do_send(struct socket *s, struct sock_msg *m, int flags)
{
	m->flags = flags | (socket_nonblock(s) ? MSG_DONTWAIT : 0);
	return s->ops->send(s, m);
}

static long do_recv(struct socket *s, struct sock_msg *m, int flags)
{
	m->flags = flags | (socket_nonblock(s) ? MSG_DONTWAIT : 0);
	return s->ops->recv(s, m);
}

/* sendto and recvfrom: the socket and its one buffer (a[1], a[2]). */
static int one_buffer(const struct syscall_args *args, struct socket **s,
                      struct linux_iovec *seg, struct msg_iter *it)
{
	int err = sock_of_fd(arg_int(args->a[0]), s);
	if (err)
		return err;
	seg->iov_base = args->a[1];
	seg->iov_len = MIN(args->a[2], 0x7ffff000ULL);
	return msg_iter_user(it, seg, 1);
}

long sys_sendto(const struct syscall_args *args)
{
	struct socket *s;
	struct linux_iovec seg;
	struct msg_iter it;
	int err = one_buffer(args, &s, &seg, &it);
	struct sockaddr_any to;
	struct sock_msg m = { .data = &it };
	if (!err && args->a[4] != 0) {
		err = sockaddr_copyin(args->a[4], args->a[5], &to);
		m.name = &to;
	}
	if (err)
		return err;
	return do_send(s, &m, arg_int(args->a[3]));
}

long sys_recvfrom(const struct syscall_args *args)
{
	struct socket *s;
	struct linux_iovec seg;
	struct msg_iter it;
	int err = one_buffer(args, &s, &seg, &it);
	if (err)
		return err;
	struct sockaddr_any from;
	memset(&from, 0, sizeof(from));
	struct sock_msg m = { .data = &it, .name = args->a[4] ? &from : NULL };
	long n = do_recv(s, &m, arg_int(args->a[3]));
	/* Linux writes the length even when there is no address (0). */
	if (n >= 0 && args->a[4] != 0) {
		err = sockaddr_copyout(&from, args->a[4], args->a[5]);
		if (err)
			return err;
	}
	return n;
}

/* ---- sendmsg ------------------------------------------------------------ */

static long sendmsg_one(struct socket *s, u64 umsg, int flags)
{
	struct kmsg k;
	long ret = load_msg(&k, s, umsg, true);
	if (ret == 0)
		ret = do_send(s, &k.m, flags);
	kmsg_free(&k);
	return ret;
}

long sys_sendmsg(const struct syscall_args *args)
{
	struct socket *s;
	int err = sock_of_fd(arg_int(args->a[0]), &s);
	if (err)
		return err;
	return sendmsg_one(s, args->a[1], arg_int(args->a[2]));
}

/* sendmmsg and recvmmsg: one message after another until vlen, the
 * first failure (reported only if nothing moved), or -- with
 * MSG_WAITFORONE -- a receive that would block after the first. */
static long each_mmsg(const struct syscall_args *args,
                      long (*one)(struct socket *s, u64 umsg, int flags))
{
	struct socket *s;
	int err = sock_of_fd(arg_int(args->a[0]), &s);
	if (err)
		return err;
	u64 vec = args->a[1];
	u32 vlen = (u32)MIN(args->a[2], (u64)MMSG_MAX);
	int flags = arg_int(args->a[3]);
	u32 done = 0;
	for (; done < vlen; done++) {
		u64 umsg = vec + (u64)done * sizeof(struct linux_mmsghdr);
		int f = flags & ~MSG_WAITFORONE;
		if (done > 0 && (flags & MSG_WAITFORONE))
			f |= MSG_DONTWAIT;
		long n = one(s, umsg, f);
		if (n < 0)
			return done ? (long)done : n;
		u32 len = (u32)n;
		if (copyout(umsg + __builtin_offsetof(struct linux_mmsghdr, msg_len), &len,
		            sizeof(len)) != 0)
			return done ? (long)done : -EFAULT;
	}
	return (long)done;
}

long sys_sendmmsg(const struct syscall_args *args)
{
	return each_mmsg(args, sendmsg_one);
}

/* ---- recvmsg ------------------------------------------------------------ */

/* Write one cmsg at *off of the user's control buffer; false (and
 * MSG_CTRUNC) when it does not fit whole. */
static bool put_cmsg(struct kmsg *k, u64 *off, int type, const void *data, u64 len)
{
	u64 room = k->hdr.msg_controllen;
	struct linux_cmsghdr c = { sizeof(c) + len, SOL_SOCKET, type };
	if (*off > room || room - *off < c.cmsg_len) {
		k->m.out_flags |= MSG_CTRUNC;
		return false;
	}
	u64 at = k->hdr.msg_control + *off;
	if (copyout(at, &c, sizeof(c)) != 0 || copyout(at + sizeof(c), data, len) != 0)
		return false;
	*off += CMSG_ALIGN_LEN(c.cmsg_len);
	return true;
}

/* Install the passed files as new fds and describe them; those that do
 * not fit in the buffer are closed, as Linux does. */
static u64 put_rights(struct kmsg *k, u64 off, int flags)
{
	struct scm_files *r = k->rights;
	u64 room = k->hdr.msg_controllen > off ? k->hdr.msg_controllen - off : 0;
	u32 fit = room > sizeof(struct linux_cmsghdr)
	              ? (u32)MIN((room - sizeof(struct linux_cmsghdr)) / sizeof(s32), (u64)r->count)
	              : 0;
	s32 fds[SCM_MAX_FD];
	u32 installed = 0;
	for (; installed < fit; installed++) {
		int fd = fd_install(current_task(), r->files[installed], 0,
		                    flags & MSG_CMSG_CLOEXEC);
		if (fd < 0)
			break;
		fds[installed] = fd;
	}
	if (installed < r->count)
		k->m.out_flags |= MSG_CTRUNC;
	if (installed > 0)
		put_cmsg(k, &off, SCM_RIGHTS, fds, installed * sizeof(s32));
	return off;
}

static long recvmsg_one(struct socket *s, u64 umsg, int flags)
{
	struct kmsg k;
	long ret = load_msg(&k, s, umsg, false);
	if (ret == 0)
		ret = do_recv(s, &k.m, flags);
	if (ret >= 0) {
		u64 off = 0;
		if (k.rights != NULL && k.rights->count > 0)
			off = put_rights(&k, off, flags);
		if (k.m.has_creds)
			put_cmsg(&k, &off, SCM_CREDENTIALS, &k.m.creds, sizeof(k.m.creds));
		struct {
			u32 namelen;
		} name = { k.m.name ? k.name.len : 0 };
		if (k.m.name != NULL && k.name.len > 0) {
			u32 n = MIN(k.hdr.msg_namelen, k.name.len);
			if (copyout(k.hdr.msg_name, k.name.bytes, n) != 0)
				ret = -EFAULT;
		}
		u64 base = umsg;
		if (copyout(base + __builtin_offsetof(struct linux_msghdr, msg_namelen), &name.namelen,
		            sizeof(u32)) != 0 ||
		    copyout(base + __builtin_offsetof(struct linux_msghdr, msg_controllen), &off,
		            sizeof(off)) != 0 ||
		    copyout(base + __builtin_offsetof(struct linux_msghdr, msg_flags), &k.m.out_flags,
		            sizeof(u32)) != 0)
			ret = -EFAULT;
	}
	kmsg_free(&k);
	return ret;
}

long sys_recvmsg(const struct syscall_args *args)
{
	struct socket *s;
	int err = sock_of_fd(arg_int(args->a[0]), &s);
	if (err)
		return err;
	return recvmsg_one(s, args->a[1], arg_int(args->a[2]));
}

long sys_recvmmsg(const struct syscall_args *args)
{
	/* args->a[4], the timeout, is not used: Linux too checks it only
	 * between messages, and the loop ends when a receive would block. */
	return each_mmsg(args, recvmsg_one);
}
