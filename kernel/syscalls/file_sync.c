/*
 * file_sync.c: sync(2), syncfs(2) and sync_file_range(2) (fsync and
 * fdatasync are with the other descriptor calls in file_io.c).
 * Persistent volumes commit; every other filesystem has nothing to write
 * back.
 */
#include "fs/vfs.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

#define SYNC_FILE_RANGE_WAIT_BEFORE 1
#define SYNC_FILE_RANGE_WRITE 2
#define SYNC_FILE_RANGE_WAIT_AFTER 4

long sys_sync(const struct syscall_args *args)
{
	(void)args;
	vfs_sync_all(); /* sync(2) cannot fail */
	return 0;
}

long sys_syncfs(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err < 0)
		return err;
	return f->inode != NULL ? vfs_syncfs(f->inode) : 0;
}

/* sync_file_range(fd, offset, nbytes, flags): writeback of the range.
 * Starting it (WRITE) promises nothing, so only waiting for it
 * (WAIT_AFTER) does work: the file's data is written as by fdatasync (a
 * volume commits, which is more than the range; elsewhere nothing). */
long sys_sync_file_range(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err < 0)
		return err;
	s64 offset = (s64)args->a[1];
	s64 nbytes = (s64)args->a[2];
	u32 flags = (u32)args->a[3];
	if (offset < 0 || nbytes < 0 || offset + nbytes < offset ||
	    (flags & ~(u32)(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
	                    SYNC_FILE_RANGE_WAIT_AFTER)))
		return -EINVAL;
	u32 type = f->inode != NULL ? f->inode->mode & S_IFMT : 0;
	if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK && type != S_IFBLK)
		return -ESPIPE; /* pipes, sockets, character devices */
	if (flags & SYNC_FILE_RANGE_WAIT_AFTER)
		return vfs_fsync(f);
	return 0;
}
