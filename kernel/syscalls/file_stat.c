/*
 * file_stat.c: stat, lstat, fstat, newfstatat, statx, statfs and fstatfs.
 *
 * The VFS fills a struct kstat; this file converts it to the two Linux
 * layouts (linux_abi/stat.h). A file with no inode reports itself as a
 * FIFO (pipes, and stdio streams without -t), a socket, or a character
 * device (the stderr console).
 */
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "net/socket.h"
#include "proc/pipe.h"
#include "proc/stdio.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/stat.h"

static void stat_of_file(struct file *f, struct kstat *ks)
{
	if (f->inode) {
		vfs_stat(f->inode, ks);
		return;
	}
	memset(ks, 0, sizeof(*ks));
	if (pipe_is(f) || stdio_is_stream(f))
		ks->mode = S_IFIFO | 0600;
	else if (socket_of(f) != NULL)
		ks->mode = S_IFSOCK | 0777;
	else
		ks->mode = S_IFCHR | 0620;
	ks->nlink = 1;
	ks->blksize = 1024;
}

static void to_linux_stat(const struct kstat *ks, struct linux_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = ks->dev;
	st->st_ino = ks->ino;
	st->st_nlink = ks->nlink;
	st->st_mode = ks->mode;
	st->st_uid = ks->uid;
	st->st_gid = ks->gid;
	st->st_rdev = ks->rdev;
	st->st_size = ks->size;
	st->st_blksize = ks->blksize;
	st->st_blocks = ks->blocks;
	st->st_atime_sec = (u64)ks->atime.sec;
	st->st_atime_nsec = (u64)ks->atime.nsec;
	st->st_mtime_sec = (u64)ks->mtime.sec;
	st->st_mtime_nsec = (u64)ks->mtime.nsec;
	st->st_ctime_sec = (u64)ks->ctime.sec;
	st->st_ctime_nsec = (u64)ks->ctime.nsec;
}

static void to_statx_time(const struct ktimespec *t, struct linux_statx_timestamp *out)
{
	out->tv_sec = t->sec;
	out->tv_nsec = (u32)t->nsec;
}

static void to_linux_statx(const struct kstat *ks, struct linux_statx *sx)
{
	memset(sx, 0, sizeof(*sx));
	sx->stx_mask = STATX_BASIC_STATS;
	sx->stx_blksize = (u32)ks->blksize;
	sx->stx_nlink = ks->nlink;
	sx->stx_uid = ks->uid;
	sx->stx_gid = ks->gid;
	sx->stx_mode = (u16)ks->mode;
	sx->stx_ino = ks->ino;
	sx->stx_size = (u64)ks->size;
	sx->stx_blocks = (u64)ks->blocks;
	to_statx_time(&ks->atime, &sx->stx_atime);
	to_statx_time(&ks->mtime, &sx->stx_mtime);
	to_statx_time(&ks->ctime, &sx->stx_ctime);
	sx->stx_rdev_major = (u32)(ks->rdev >> 8) & 0xfff;
	sx->stx_rdev_minor = (u32)(ks->rdev & 0xff);
	sx->stx_dev_major = (u32)(ks->dev >> 8) & 0xfff;
	sx->stx_dev_minor = (u32)(ks->dev & 0xff);
}

/* Resolve (dirfd, path, flags) of the *at stat calls into a kstat. */
static int stat_at(int dirfd, u64 upath, u32 flags, struct kstat *ks)
{
	if (flags & ~(u32)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | 0x6000))
		return -EINVAL; /* 0x6000: AT_STATX_SYNC_TYPE bits */
	char *path;
	int err = path_copyin(upath, flags & AT_EMPTY_PATH, &path);
	if (err)
		return err;
	if (path[0] == '\0') {
		kfree(path);
		if (dirfd == AT_FDCWD) {
			vfs_stat(current_task()->cwd, ks);
			return 0;
		}
		struct file *f;
		err = file_of(dirfd, &f);
		if (!err)
			stat_of_file(f, ks);
		return err;
	}
	struct inode *start;
	err = at_dir(dirfd, &start);
	struct inode *inode = NULL;
	if (!err) {
		u32 lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
		err = vfs_lookup(start, path, lf, &inode);
	}
	kfree(path);
	if (err)
		return err;
	vfs_stat(inode, ks);
	inode_put(inode);
	return 0;
}

static long put_stat(const struct kstat *ks, u64 ubuf)
{
	struct linux_stat st;
	to_linux_stat(ks, &st);
	return copyout(ubuf, &st, sizeof(st));
}

long sys_stat(const struct syscall_args *args)
{
	struct kstat ks;
	int err = stat_at(AT_FDCWD, args->a[0], 0, &ks);
	return err ? err : put_stat(&ks, args->a[1]);
}

long sys_lstat(const struct syscall_args *args)
{
	struct kstat ks;
	int err = stat_at(AT_FDCWD, args->a[0], AT_SYMLINK_NOFOLLOW, &ks);
	return err ? err : put_stat(&ks, args->a[1]);
}

long sys_fstat(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err)
		return err;
	struct kstat ks;
	stat_of_file(f, &ks);
	return put_stat(&ks, args->a[1]);
}

long sys_newfstatat(const struct syscall_args *args)
{
	struct kstat ks;
	int err = stat_at(arg_int(args->a[0]), args->a[1], (u32)args->a[3], &ks);
	return err ? err : put_stat(&ks, args->a[2]);
}

long sys_statx(const struct syscall_args *args)
{
	struct kstat ks;
	int err = stat_at(arg_int(args->a[0]), args->a[1], (u32)args->a[2], &ks);
	if (err)
		return err;
	struct linux_statx sx;
	to_linux_statx(&ks, &sx);
	return copyout(args->a[4], &sx, sizeof(sx));
}

static long put_statfs(const struct kstatfs *ks, u64 dev, u64 ubuf)
{
	struct linux_statfs st;
	memset(&st, 0, sizeof(st));
	st.f_type = (s64)ks->type;
	st.f_bsize = (s64)ks->block_size;
	st.f_frsize = (s64)ks->block_size;
	st.f_blocks = ks->blocks;
	st.f_bfree = ks->blocks_free;
	st.f_bavail = ks->blocks_free;
	st.f_files = ks->files;
	st.f_ffree = ks->files_free;
	st.f_fsid[0] = (s32)dev;
	st.f_namelen = (s64)ks->name_max;
	st.f_flags = ST_VALID | (ks->read_only ? ST_RDONLY : 0) |
	             ((ks->mount_flags & VFS_MOUNT_NOSUID) ? ST_NOSUID : 0) |
	             ((ks->mount_flags & VFS_MOUNT_NODEV) ? ST_NODEV : 0) |
	             ((ks->mount_flags & VFS_MOUNT_NOEXEC) ? ST_NOEXEC : 0);
	return copyout(ubuf, &st, sizeof(st));
}

long sys_statfs(const struct syscall_args *args)
{
	char *path;
	int err = path_copyin(args->a[0], false, &path);
	if (err)
		return err;
	struct inode *inode = NULL;
	err = vfs_lookup(current_task()->cwd, path, LOOKUP_FOLLOW, &inode);
	kfree(path);
	if (err)
		return err;
	struct kstatfs ks;
	vfs_statfs(inode, &ks);
	u64 dev = inode->sb->dev;
	inode_put(inode);
	return put_statfs(&ks, dev, args->a[1]);
}

long sys_fstatfs(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err)
		return err;
	struct kstatfs ks;
	if (f->inode == NULL) {
		/* pipes and the console: Linux answers for pipefs, no blocks */
		memset(&ks, 0, sizeof(ks));
		ks.type = PIPEFS_MAGIC;
		ks.block_size = PAGE_SIZE;
		ks.name_max = VFS_NAME_MAX;
		return put_statfs(&ks, 0, args->a[1]);
	}
	vfs_statfs(f->inode, &ks);
	return put_statfs(&ks, f->inode->sb->dev, args->a[1]);
}
