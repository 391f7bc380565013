/*
 * file_hints.c: fadvise64 and readahead (sync, syncfs and
 * sync_file_range are in file_sync.c). Hints about future access that
 * have nothing to act on here: the root filesystem is read-only and
 * authenticated block by block, tmpfs lives in RAM, and a persistent
 * volume has its own page cache. Each still checks its arguments exactly
 * as Linux does, so a wrong call fails the same way.
 */
#include "fs/vfs.h"
#include "proc/pipe.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

#define POSIX_FADV_NOREUSE 5

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
