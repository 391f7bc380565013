/*
 * namei.c: metadata and namespace operations: stat, readlink, truncate,
 * access, chmod, mkdir, rmdir, unlink, symlink, rename. The VFS checks
 * names, types and read-only filesystems here; filesystems do the rest.
 */
#include "fs/mount.h"
#include "fs/path.h"
#include "lib/string.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

void vfs_stat(struct inode *inode, struct kstat *out)
{
	memset(out, 0, sizeof(*out));
	out->dev = inode->sb->dev;
	out->ino = inode->ino;
	out->mode = inode->mode;
	out->nlink = inode->nlink;
	out->uid = inode->uid;
	out->gid = inode->gid;
	out->rdev = inode->rdev;
	out->size = (s64)inode->size;
	out->blksize = 4096;
	out->blocks = (s64)((inode->size + 511) / 512);
	out->atime = inode->atime;
	out->mtime = inode->mtime;
	out->ctime = inode->ctime;
}

long vfs_readlink(struct inode *start, const char *path, char *buf, size_t size)
{
	struct inode *link = NULL;
	int err = vfs_lookup(start, path, 0, &link);
	if (err < 0)
		return err;
	long n = -EINVAL;
	if (inode_is_link(link) && link->iops != NULL && link->iops->readlink != NULL)
		n = link->iops->readlink(link, buf, size);
	inode_put(link);
	return n;
}

int vfs_truncate(struct inode *inode, u64 size)
{
	if (inode_is_dir(inode))
		return -EISDIR;
	if (!inode_is_reg(inode))
		return -EINVAL;
	if (inode->sb->read_only)
		return -EROFS;
	if (size > 0x7fffffffffffffffULL)
		return -EINVAL;
	if (inode->iops == NULL || inode->iops->truncate == NULL)
		return -EPERM;
	return inode->iops->truncate(inode, size);
}

int vfs_ftruncate(struct file *file, u64 size)
{
	u32 mode = file->flags & O_ACCMODE;
	if (file->inode == NULL || (file->flags & O_PATH) || (mode != O_WRONLY && mode != O_RDWR))
		return -EBADF;
	if (!inode_is_reg(file->inode))
		return -EINVAL;
	return vfs_truncate(file->inode, size);
}

int vfs_access(struct inode *inode, u32 mask, u32 uid, u32 gid)
{
	if ((mask & W_OK) && inode->sb->read_only && (inode->mode & S_IFMT) != S_IFCHR)
		return -EROFS;
	u32 bits;
	if (uid == 0) {
		/* root may do anything, but exec needs some x bit on files */
		if ((mask & X_OK) && !inode_is_dir(inode) && !(inode->mode & 0111))
			return -EACCES;
		return 0;
	}
	if (uid == inode->uid)
		bits = (inode->mode >> 6) & 7;
	else if (gid == inode->gid)
		bits = (inode->mode >> 3) & 7;
	else
		bits = inode->mode & 7;
	return (mask & ~bits & 7) ? -EACCES : 0;
}

int vfs_chmod(struct inode *inode, u32 mode)
{
	if (inode->sb->read_only)
		return -EROFS;
	if (inode->iops == NULL || inode->iops->chmod == NULL)
		return -EPERM;
	return inode->iops->chmod(inode, mode & 07777);
}

int vfs_chown(struct inode *inode, u32 uid, u32 gid)
{
	if (inode->sb->read_only)
		return -EROFS;
	if (uid != (u32)-1)
		inode->uid = uid;
	if (gid != (u32)-1)
		inode->gid = gid;
	return 0;
}

int vfs_set_times(struct inode *inode, const struct ktimespec *atime,
                  const struct ktimespec *mtime)
{
	if (inode->sb->read_only)
		return -EROFS;
	if (atime != NULL)
		inode->atime = *atime;
	if (mtime != NULL)
		inode->mtime = *mtime;
	return 0;
}

void vfs_statfs(struct inode *inode, struct kstatfs *out)
{
	struct fs_super *sb = inode->sb;
	memset(out, 0, sizeof(*out));
	out->type = sb->magic;
	out->block_size = 4096;
	out->blocks = sb->total_blocks;
	out->name_max = VFS_NAME_MAX;
	out->read_only = sb->read_only;
	if (sb->free_blocks != NULL)
		out->blocks_free = sb->free_blocks(sb);
}

/* Common prologue: the parent directory and a writable filesystem. */
static int parent_for_change(struct inode *start, const char *path, struct inode **dir,
                             const char **name, size_t *name_len)
{
	int err = path_lookup_parent(start, path, dir, name, name_len);
	if (err < 0)
		return err;
	if ((*dir)->sb->read_only || mount_find_child(*dir, *name, *name_len) != NULL) {
		bool is_mount = mount_find_child(*dir, *name, *name_len) != NULL;
		inode_put(*dir);
		return is_mount ? -EBUSY : -EROFS;
	}
	return 0;
}

int vfs_mkdir(struct inode *start, const char *path, u32 mode)
{
	struct inode *dir = NULL;
	const char *name = NULL;
	size_t len = 0;
	int err = path_lookup_parent(start, path, &dir, &name, &len);
	if (err < 0)
		return err;
	struct inode *existing = NULL;
	if (path_lookup_child(dir, name, len, &existing) == 0) {
		inode_put(existing);
		inode_put(dir);
		return -EEXIST;
	}
	if (dir->sb->read_only)
		err = -EROFS;
	else if (dir->iops == NULL || dir->iops->mkdir == NULL)
		err = -EPERM;
	else
		err = dir->iops->mkdir(dir, name, len, mode & 07777);
	inode_put(dir);
	return err;
}

int vfs_rmdir(struct inode *start, const char *path)
{
	struct inode *dir = NULL;
	const char *name = NULL;
	size_t len = 0;
	int err = parent_for_change(start, path, &dir, &name, &len);
	if (err < 0)
		return err;
	if (len == 1 && name[0] == '.')
		err = -EINVAL;
	else if (path_name_is_dot(name, len))
		err = -ENOTEMPTY;
	else if (dir->iops == NULL || dir->iops->rmdir == NULL)
		err = -EPERM;
	else
		err = dir->iops->rmdir(dir, name, len);
	inode_put(dir);
	return err;
}

int vfs_unlink(struct inode *start, const char *path)
{
	struct inode *dir = NULL;
	const char *name = NULL;
	size_t len = 0;
	int err = parent_for_change(start, path, &dir, &name, &len);
	if (err < 0)
		return err;
	struct inode *victim = NULL;
	err = path_lookup_child(dir, name, len, &victim);
	if (err == 0) {
		bool is_dir = inode_is_dir(victim);
		inode_put(victim);
		if (is_dir)
			err = -EISDIR;
		else if (name[len] == '/')
			err = -ENOTDIR;
		else if (dir->iops == NULL || dir->iops->unlink == NULL)
			err = -EPERM;
		else
			err = dir->iops->unlink(dir, name, len);
	}
	inode_put(dir);
	return err;
}

int vfs_symlink(const char *target, struct inode *start, const char *linkpath)
{
	size_t target_len = strnlen(target, VFS_PATH_MAX);
	if (target_len == 0)
		return -ENOENT;
	if (target_len >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	struct inode *dir = NULL;
	const char *name = NULL;
	size_t len = 0;
	int err = path_lookup_parent(start, linkpath, &dir, &name, &len);
	if (err < 0)
		return err;
	struct inode *existing = NULL;
	if (path_name_is_dot(name, len)) {
		err = -EEXIST;
	} else if (path_lookup_child(dir, name, len, &existing) == 0) {
		inode_put(existing);
		err = -EEXIST;
	} else if (dir->sb->read_only) {
		err = -EROFS;
	} else if (dir->iops == NULL || dir->iops->symlink == NULL) {
		err = -EPERM;
	} else {
		err = dir->iops->symlink(dir, name, len, target);
	}
	inode_put(dir);
	return err;
}

int vfs_rename(struct inode *old_start, const char *old_path, struct inode *new_start,
               const char *new_path, u32 flags)
{
	if (flags & ~(u32)RENAME_NOREPLACE)
		return -EINVAL;
	struct inode *old_dir = NULL, *new_dir = NULL;
	const char *old_name = NULL, *new_name = NULL;
	size_t old_len = 0, new_len = 0;
	int err = parent_for_change(old_start, old_path, &old_dir, &old_name, &old_len);
	if (err < 0)
		return err;
	err = parent_for_change(new_start, new_path, &new_dir, &new_name, &new_len);
	if (err < 0) {
		inode_put(old_dir);
		return err;
	}
	if (path_name_is_dot(old_name, old_len) || path_name_is_dot(new_name, new_len))
		err = -EBUSY;
	else if (old_dir->sb != new_dir->sb)
		err = -EXDEV;
	else if (old_dir->iops == NULL || old_dir->iops->rename == NULL)
		err = -EPERM;
	else
		err = old_dir->iops->rename(old_dir, old_name, old_len, new_dir, new_name, new_len,
		                            flags);
	inode_put(old_dir);
	inode_put(new_dir);
	return err;
}
