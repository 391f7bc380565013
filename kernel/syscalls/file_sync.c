/*
 * file_sync.c: sync(2) and syncfs(2) (fsync and fdatasync are with the
 * other descriptor calls in file_io.c). Persistent volumes commit; every
 * other filesystem has nothing to write back.
 */
#include "fs/vfs.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"

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
