/*
 * socket_opt.c: setsockopt and getsockopt. The option value is copied
 * in or out here, bounded (256 bytes covers every option we know); what
 * it means is net/socket_opt.c's and the family's business.
 */
#include "lib/string.h"
#include "mm/uaccess.h"
#include "net/socket.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/socket_user.h"

#define OPT_MAX 256

long sys_setsockopt(const struct syscall_args *args)
{
	struct socket *s;
	int err = sock_of_fd(arg_int(args->a[0]), &s);
	if (err)
		return err;
	int len = arg_int(args->a[4]);
	if (len < 0)
		return -EINVAL;
	u8 val[OPT_MAX];
	memset(val, 0, sizeof(val));
	u32 n = (u32)MIN(len, OPT_MAX);
	if (n > 0 && copyin(val, args->a[3], n) != 0)
		return -EFAULT;
	return socket_setopt(s, arg_int(args->a[1]), arg_int(args->a[2]), val, n);
}

long sys_getsockopt(const struct syscall_args *args)
{
	struct socket *s;
	int err = sock_of_fd(arg_int(args->a[0]), &s);
	if (err)
		return err;
	s32 ulen;
	if (copyin(&ulen, args->a[4], sizeof(ulen)) != 0)
		return -EFAULT;
	if (ulen < 0)
		return -EINVAL;
	u8 val[OPT_MAX];
	memset(val, 0, sizeof(val));
	u32 len = (u32)MIN(ulen, OPT_MAX);
	err = socket_getopt(s, arg_int(args->a[1]), arg_int(args->a[2]), val, &len);
	if (err)
		return err;
	if (len > 0 && copyout(args->a[3], val, len) != 0)
		return -EFAULT;
	return copyout(args->a[4], &len, sizeof(len));
}
