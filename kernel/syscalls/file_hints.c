/*
 * file_hints.c: fadvise64, readahead, sync_file_range (sync and syncfs
 * are in file_sync.c). Hints about future access, and a request to start
 * writeback, that have nothing to act on here: the root filesystem is
 * read-only and authenticated block by block, tmpfs lives in RAM, and a
 * persistent volume commits on fsync, sync and syncfs only
 * (sync_file_range promises no durability on Linux either). Each still
 * checks its arguments exactly as Linux does, so a wrong call fails the
 * same way.
 */
#include "fs/vfs.h"
#include "proc/pipe.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

#define POSIX_FADV_NOREUSE 5
#define SYNC_FILE_RANGE_ALL 0x7

static bool is_fifo(const struct file *f)
{
	return pipe_is(f) || (f->inode != NULL && (f->inode->mode & S_IFMT) == S_IFIFO);
}

long sys_fadvise64(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err)
		return err;
	if (f->flags & O_PATH)
		return -EBADF;
	if (is_fifo(f))
		return -ESPIPE;
	if ((s64)args->a[2] < 0 || (u64)arg_int(args->a[3]) > POSIX_FADV_NOREUSE)
		return -EINVAL;
	return 0;
}

long sys_readahead(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err)
		return err;
	if ((f->flags & O_PATH) || (f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (f->inode == NULL || !inode_is_reg(f->inode))
		return -EINVAL;
	return 0;
}

long sys_sync_file_range(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err)
		return err;
	if (args->a[3] & ~(u64)SYNC_FILE_RANGE_ALL)
		return -EINVAL;
	if ((s64)args->a[1] < 0 || (s64)args->a[2] < 0)
		return -EINVAL;
	if (f->inode == NULL || !(inode_is_reg(f->inode) || inode_is_dir(f->inode) ||
	                          (f->inode->mode & S_IFMT) == S_IFLNK))
		return -ESPIPE;
	return 0;
}
