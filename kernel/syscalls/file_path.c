/*
 * file_path.c: calls that take a path: open, readlink, access, cwd,
 * mkdir/unlink/rmdir/rename/symlink/link, truncate, chmod, chown, umask.
 *
 * Trust: paths are copied in (bounded by VFS_PATH_MAX) before the VFS
 * sees them; dirfds and flags are checked here. Permission checks on the
 * namespace are the VFS's (it knows the filesystem).
 */
#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "proc/cred.h"
#include "proc/fdtable.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/rlimits.h"
#include "syscalls/linux_abi/capability.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

#define OPEN_KNOWN_FLAGS (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | \
                          O_NONBLOCK | O_DSYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | \
                          O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | O_TMPFILE | 04010000)

/* The start directory (borrowed) and the kernel copy of the path of a
 * *at() call; on success the caller kfree()s *path. */
static int at_path(int dirfd, u64 upath, bool allow_empty, struct inode **start, char **path)
{
	int err = at_dir(dirfd, start);
	if (err)
		return err;
	return path_copyin(upath, allow_empty, path);
}

static long do_openat(int dirfd, u64 upath, u32 flags, u32 mode)
{
	struct task *task = current_task();
	if (flags & ~(u32)OPEN_KNOWN_FLAGS)
		return -EINVAL;
	struct inode *start;
	char *path;
	int err = at_path(dirfd, upath, false, &start, &path);
	if (err)
		return err;
	if (flags & O_CREAT)
		mode = (mode & 07777) & ~task->umask;
	struct file *file;
	err = vfs_open(start, path, flags, mode, &file);
	kfree(path);
	if (err)
		return err;
	int fd = fd_install(task, file, 0, flags & O_CLOEXEC);
	file_put(file);
	return fd;
}

long sys_open(const struct syscall_args *args)
{
	return do_openat(AT_FDCWD, args->a[0], (u32)args->a[1], (u32)args->a[2]);
}

long sys_openat(const struct syscall_args *args)
{
	return do_openat(arg_int(args->a[0]), args->a[1], (u32)args->a[2], (u32)args->a[3]);
}

long sys_creat(const struct syscall_args *args)
{
	return do_openat(AT_FDCWD, args->a[0], O_CREAT | O_WRONLY | O_TRUNC, (u32)args->a[1]);
}

static long do_readlinkat(int dirfd, u64 upath, u64 ubuf, s64 size)
{
	if (size <= 0)
		return -EINVAL;
	if (size > VFS_PATH_MAX)
		size = VFS_PATH_MAX;
	struct inode *start;
	char *path;
	int err = at_path(dirfd, upath, false, &start, &path);
	if (err)
		return err;
	char *kbuf = kmalloc((size_t)size);
	long n = kbuf ? vfs_readlink(start, path, kbuf, (size_t)size) : -ENOMEM;
	if (n > 0 && copyout(ubuf, kbuf, (size_t)n) != 0)
		n = -EFAULT;
	if (kbuf)
		kfree(kbuf);
	kfree(path);
	return n;
}

long sys_readlink(const struct syscall_args *args)
{
	return do_readlinkat(AT_FDCWD, args->a[0], args->a[1], (s64)args->a[2]);
}

long sys_readlinkat(const struct syscall_args *args)
{
	return do_readlinkat(arg_int(args->a[0]), args->a[1], args->a[2], (s64)args->a[3]);
}

static long do_faccessat(int dirfd, u64 upath, u32 mode, u32 flags)
{
	if (mode & ~(u32)(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(u32)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	u32 lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	struct inode *inode;
	int err = lookup_at(dirfd, upath, flags & AT_EMPTY_PATH, lf, &inode);
	if (err)
		return err;
	/* Linux checks access() with the real ids; they equal the effective
	 * ones here (no set*id calls), so the VFS's credentials serve. */
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	err = mode == F_OK ? 0 : vfs_access(inode, mode, &cred);
	inode_put(inode);
	return err;
}

long sys_access(const struct syscall_args *args)
{
	return do_faccessat(AT_FDCWD, args->a[0], (u32)args->a[1], 0);
}

long sys_faccessat(const struct syscall_args *args)
{
	return do_faccessat(arg_int(args->a[0]), args->a[1], (u32)args->a[2], 0);
}

long sys_faccessat2(const struct syscall_args *args)
{
	return do_faccessat(arg_int(args->a[0]), args->a[1], (u32)args->a[2], (u32)args->a[3]);
}

long sys_getcwd(const struct syscall_args *args)
{
	u64 ubuf = args->a[0];
	u64 size = args->a[1];
	if (size == 0)
		return -EINVAL;
	size_t ksize = MIN(size, (u64)VFS_PATH_MAX);
	char *kbuf = kmalloc(ksize);
	if (!kbuf)
		return -ENOMEM;
	long n = vfs_getcwd(current_task()->cwd, kbuf, ksize);
	if (n >= 0) {
		if (copyout(ubuf, kbuf, (size_t)n + 1) != 0)
			n = -EFAULT;
		else
			n = n + 1; /* the syscall counts the NUL */
	}
	kfree(kbuf);
	return n;
}

/* Make dir (a new reference, consumed) the cwd after the search check. */
static long set_cwd(struct inode *dir)
{
	struct task *task = current_task();
	if (!inode_is_dir(dir)) {
		inode_put(dir);
		return -ENOTDIR;
	}
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	int err = vfs_access(dir, X_OK, &cred);
	if (err) {
		inode_put(dir);
		return err;
	}
	task_set_cwd(task, dir); /* every thread of the process (CLONE_FS) */
	inode_put(dir);
	return 0;
}

long sys_chdir(const struct syscall_args *args)
{
	struct inode *dir;
	int err = lookup_at(AT_FDCWD, args->a[0], false, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &dir);
	if (err)
		return err;
	return set_cwd(dir);
}

long sys_fchdir(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err)
		return err;
	if (!f->inode)
		return -ENOTDIR;
	return set_cwd(inode_get(f->inode));
}

static long do_mkdirat(int dirfd, u64 upath, u32 mode)
{
	struct inode *start;
	char *path;
	int err = at_path(dirfd, upath, false, &start, &path);
	if (err)
		return err;
	err = vfs_mkdir(start, path, (mode & 07777) & ~current_task()->umask);
	kfree(path);
	return err;
}

long sys_mkdir(const struct syscall_args *args)
{
	return do_mkdirat(AT_FDCWD, args->a[0], (u32)args->a[1]);
}

long sys_mkdirat(const struct syscall_args *args)
{
	return do_mkdirat(arg_int(args->a[0]), args->a[1], (u32)args->a[2]);
}

static long do_unlinkat(int dirfd, u64 upath, u32 flags)
{
	if (flags & ~(u32)AT_REMOVEDIR)
		return -EINVAL;
	struct inode *start;
	char *path;
	int err = at_path(dirfd, upath, false, &start, &path);
	if (err)
		return err;
	err = (flags & AT_REMOVEDIR) ? vfs_rmdir(start, path) : vfs_unlink(start, path);
	kfree(path);
	return err;
}

long sys_unlink(const struct syscall_args *args)
{
	return do_unlinkat(AT_FDCWD, args->a[0], 0);
}

long sys_unlinkat(const struct syscall_args *args)
{
	return do_unlinkat(arg_int(args->a[0]), args->a[1], (u32)args->a[2]);
}

long sys_rmdir(const struct syscall_args *args)
{
	return do_unlinkat(AT_FDCWD, args->a[0], AT_REMOVEDIR);
}

/* The two (start directory, path) pairs of renameat/linkat; on success
 * the caller kfree()s both paths. */
struct path_pair {
	struct inode *old_start;
	struct inode *new_start;
	char *old_path;
	char *new_path;
};

static int pair_copyin(int olddirfd, u64 uold, int newdirfd, u64 unew, struct path_pair *p)
{
	int err = at_dir(olddirfd, &p->old_start);
	if (!err)
		err = at_dir(newdirfd, &p->new_start);
	if (!err)
		err = path_copyin(uold, false, &p->old_path);
	if (err)
		return err;
	err = path_copyin(unew, false, &p->new_path);
	if (err)
		kfree(p->old_path);
	return err;
}

static void pair_free(struct path_pair *p)
{
	kfree(p->old_path);
	kfree(p->new_path);
}

static long do_renameat2(int olddirfd, u64 uold, int newdirfd, u64 unew, u32 flags)
{
	if (flags & ~(u32)RENAME_NOREPLACE)
		return -EINVAL; /* RENAME_EXCHANGE / WHITEOUT unsupported */
	struct path_pair p;
	int err = pair_copyin(olddirfd, uold, newdirfd, unew, &p);
	if (err)
		return err;
	err = vfs_rename(p.old_start, p.old_path, p.new_start, p.new_path, flags);
	pair_free(&p);
	return err;
}

long sys_rename(const struct syscall_args *args)
{
	return do_renameat2(AT_FDCWD, args->a[0], AT_FDCWD, args->a[1], 0);
}

long sys_renameat(const struct syscall_args *args)
{
	return do_renameat2(arg_int(args->a[0]), args->a[1], arg_int(args->a[2]), args->a[3], 0);
}

long sys_renameat2(const struct syscall_args *args)
{
	return do_renameat2(arg_int(args->a[0]), args->a[1], arg_int(args->a[2]), args->a[3],
	                    (u32)args->a[4]);
}

static long do_symlinkat(u64 utarget, int dirfd, u64 ulink)
{
	struct inode *start;
	int err = at_dir(dirfd, &start);
	if (err)
		return err;
	char *target, *link;
	err = path_copyin(utarget, false, &target);
	if (err)
		return err;
	err = path_copyin(ulink, false, &link);
	if (!err) {
		err = vfs_symlink(target, start, link);
		kfree(link);
	}
	kfree(target);
	return err;
}

long sys_symlink(const struct syscall_args *args)
{
	return do_symlinkat(args->a[0], AT_FDCWD, args->a[1]);
}

long sys_symlinkat(const struct syscall_args *args)
{
	return do_symlinkat(args->a[0], arg_int(args->a[1]), args->a[2]);
}

static long do_linkat(int olddirfd, u64 uold, int newdirfd, u64 unew, u32 flags)
{
	/* AT_EMPTY_PATH (link an open fd) needs CAP_DAC_READ_SEARCH: not
	 * supported. */
	if (flags & ~(u32)AT_SYMLINK_FOLLOW)
		return -EINVAL;
	struct path_pair p;
	int err = pair_copyin(olddirfd, uold, newdirfd, unew, &p);
	if (err)
		return err;
	u32 lookup = (flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0;
	err = vfs_link(p.old_start, p.old_path, p.new_start, p.new_path, lookup);
	pair_free(&p);
	return err;
}

long sys_link(const struct syscall_args *args)
{
	return do_linkat(AT_FDCWD, args->a[0], AT_FDCWD, args->a[1], 0);
}

long sys_linkat(const struct syscall_args *args)
{
	return do_linkat(arg_int(args->a[0]), args->a[1], arg_int(args->a[2]), args->a[3],
	                 (u32)args->a[4]);
}

long sys_truncate(const struct syscall_args *args)
{
	if ((s64)args->a[1] < 0)
		return -EINVAL;
	struct inode *inode;
	int err = lookup_at(AT_FDCWD, args->a[0], false, LOOKUP_FOLLOW, &inode);
	if (err)
		return err;
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	if (inode_is_dir(inode))
		err = -EISDIR;
	else
		err = vfs_access(inode, W_OK, &cred);
	if (!err)
		err = (int)rlimit_truncate(inode, args->a[1]);
	if (!err)
		err = vfs_truncate(inode, args->a[1]);
	inode_put(inode);
	return err;
}

long sys_umask(const struct syscall_args *args)
{
	struct task *task = current_task();
	u32 old = task->umask;
	task_set_umask(task, (u32)args->a[0] & 0777);
	return old;
}

static long do_fchmodat(int dirfd, u64 upath, u32 mode)
{
	struct inode *inode;
	int err = lookup_at(dirfd, upath, false, LOOKUP_FOLLOW, &inode);
	if (err)
		return err;
	err = vfs_chmod(inode, mode & 07777);
	inode_put(inode);
	return err;
}

long sys_chmod(const struct syscall_args *args)
{
	return do_fchmodat(AT_FDCWD, args->a[0], (u32)args->a[1]);
}

long sys_fchmodat(const struct syscall_args *args)
{
	return do_fchmodat(arg_int(args->a[0]), args->a[1], (u32)args->a[2]);
}

long sys_fchmod(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err)
		return err;
	if (!f->inode)
		return -EINVAL;
	return vfs_chmod(f->inode, (u32)args->a[1] & 07777);
}

/* ---- mknod, mknodat ---- */

/* Regular files and FIFOs: mknod(S_IFREG) creates an empty file as Linux
 * does, S_IFIFO a named FIFO (proc/fifo.c) where the file system keeps
 * them (tmpfs, the root overlay; volumes answer EPERM). Sockets come
 * from bind(); device nodes are EPERM (docs/syscalls.md), logged so
 * --trace users see why. */
static long do_mknodat(int dirfd, u64 upath, u32 mode)
{
	u32 type = mode & S_IFMT;
	if (type != 0 && type != S_IFREG && type != S_IFIFO && type != S_IFCHR &&
	    type != S_IFBLK && type != S_IFSOCK)
		return -EINVAL;
	if (type != 0 && type != S_IFREG && type != S_IFIFO) {
		kprintf("mknod: type 0%o not supported (only regular files and FIFOs)\n", type);
		return -EPERM;
	}
	struct inode *start;
	char *path;
	int err = at_path(dirfd, upath, false, &start, &path);
	if (err)
		return err;
	u32 perm = (mode & 07777) & ~current_task()->umask;
	if (type == S_IFIFO) {
		err = vfs_mknod(start, path, S_IFIFO | perm);
		kfree(path);
		return err;
	}
	struct file *file;
	err = vfs_open(start, path, O_CREAT | O_EXCL | O_RDONLY, perm, &file);
	kfree(path);
	if (err)
		return err;
	file_put(file);
	return 0;
}

long sys_mknod(const struct syscall_args *args)
{
	return do_mknodat(AT_FDCWD, args->a[0], (u32)args->a[1]);
}

long sys_mknodat(const struct syscall_args *args)
{
	return do_mknodat(arg_int(args->a[0]), args->a[1], (u32)args->a[2]);
}
