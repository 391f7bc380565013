/*
 * xattr.c: the extended-attribute calls (get/set/list/remove, each in a
 * path, an lpath and an fd form).
 *
 * No filesystem here keeps extended attributes, so the answers are
 * Linux's for a filesystem without xattr support: get, set and remove
 * are -EOPNOTSUPP (ENOTSUP), list is an empty list (0). The file is
 * resolved first, so a missing file is -ENOENT and a bad fd -EBADF,
 * and the name is checked as Linux checks it (-ERANGE when empty or
 * longer than 255 bytes, -EFAULT when unreadable).
 */
#include "fs/vfs.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

#define XATTR_NAME_MAX 255
#define XATTR_CREATE 0x1
#define XATTR_REPLACE 0x2

/* The file an xattr call names: a path (follow or not) or an fd. The
 * result only says that it exists: no filesystem has attributes. */
static int resolve_path(u64 upath, bool follow)
{
	struct inode *inode;
	int err = lookup_at(AT_FDCWD, upath, false, follow ? LOOKUP_FOLLOW : 0, &inode);
	if (err)
		return err;
	inode_put(inode);
	return 0;
}

static int resolve_fd(u64 fd)
{
	struct file *f;
	int err = file_of(arg_int(fd), &f);
	if (err)
		return err;
	return (f->flags & O_PATH) ? -EBADF : 0;
}

static int check_name(u64 uname)
{
	char name[XATTR_NAME_MAX + 1];
	long len = copyinstr(name, uname, sizeof(name));
	if (len == -EFAULT)
		return -EFAULT;
	if (len <= 0)
		return -ERANGE; /* empty, or no NUL within 256 bytes */
	return 0;
}

/* getxattr and removexattr: the file, then the name, then "no support". */
static long no_attribute(int resolved, u64 uname)
{
	if (resolved)
		return resolved;
	int err = check_name(uname);
	return err ? err : -EOPNOTSUPP;
}

static long no_set(int resolved, u64 uname, u64 flags)
{
	if (flags & ~(u64)(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	return no_attribute(resolved, uname);
}

/* listxattr: an empty list, whatever the buffer. */
static long empty_list(int resolved)
{
	return resolved ? resolved : 0;
}

long sys_getxattr(const struct syscall_args *args)
{
	return no_attribute(resolve_path(args->a[0], true), args->a[1]);
}

long sys_lgetxattr(const struct syscall_args *args)
{
	return no_attribute(resolve_path(args->a[0], false), args->a[1]);
}

long sys_fgetxattr(const struct syscall_args *args)
{
	return no_attribute(resolve_fd(args->a[0]), args->a[1]);
}

long sys_setxattr(const struct syscall_args *args)
{
	return no_set(resolve_path(args->a[0], true), args->a[1], args->a[4]);
}

long sys_lsetxattr(const struct syscall_args *args)
{
	return no_set(resolve_path(args->a[0], false), args->a[1], args->a[4]);
}

long sys_fsetxattr(const struct syscall_args *args)
{
	return no_set(resolve_fd(args->a[0]), args->a[1], args->a[4]);
}

long sys_listxattr(const struct syscall_args *args)
{
	return empty_list(resolve_path(args->a[0], true));
}

long sys_llistxattr(const struct syscall_args *args)
{
	return empty_list(resolve_path(args->a[0], false));
}

long sys_flistxattr(const struct syscall_args *args)
{
	return empty_list(resolve_fd(args->a[0]));
}

long sys_removexattr(const struct syscall_args *args)
{
	return no_attribute(resolve_path(args->a[0], true), args->a[1]);
}

long sys_lremovexattr(const struct syscall_args *args)
{
	return no_attribute(resolve_path(args->a[0], false), args->a[1]);
}

long sys_fremovexattr(const struct syscall_args *args)
{
	return no_attribute(resolve_fd(args->a[0]), args->a[1]);
}
