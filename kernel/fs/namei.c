/*
 * namei.c: metadata and namespace operations: stat, readlink, truncate,
 * chmod, chown, mkdir, rmdir, unlink, symlink, rename. The VFS checks
 * names, types, read-only filesystems and the caller's permissions
 * (fs/perm.c) here; filesystems do the rest.
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

int vfs_chmod(struct inode *inode, u32 mode)
{
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	if (inode->sb->read_only)
		return -EROFS;
	if (!vfs_is_owner(inode, &cred))
		return -EPERM;
	/* Linux: setgid needs membership in the file's group (or root). */
	if (cred.uid != 0 && !vfs_cred_in_group(&cred, inode->gid))
		mode &= ~(u32)S_ISGID;
	if (inode->iops == NULL || inode->iops->chmod == NULL)
		return -EPERM;
	return inode->iops->chmod(inode, mode & 07777);
}

/* Linux's chown rules without CAP_CHOWN: the owner may only change the
 * group, and only to one of its own groups. */
static bool may_chown(const struct inode *inode, u32 uid, u32 gid,
                      const struct vfs_cred *cred)
{
	if (cred->uid == 0)
		return true;
	if (uid != (u32)-1 && uid != inode->uid)
		return false;
	if (gid != (u32)-1 && gid != inode->gid)
		return cred->uid == inode->uid && vfs_cred_in_group(cred, gid);
	return true;
}

int vfs_chown(struct inode *inode, u32 uid, u32 gid)
{
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	if (inode->sb->read_only)
		return -EROFS;
	if (!may_chown(inode, uid, gid, &cred))
		return -EPERM;
	if (uid != (u32)-1)
		inode->uid = uid;
	if (gid != (u32)-1)
		inode->gid = gid;
	return 0;
}

int vfs_set_times(struct inode *inode, const struct ktimespec *atime,
                  const struct ktimespec *mtime)
{
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	if (inode->sb->read_only)
		return -EROFS;
	/* Owner or root; others need write access (Linux allows them only
	 * "now", which this interface cannot tell apart). */
	if (!vfs_is_owner(inode, &cred) && vfs_permission(inode, W_OK, &cred) < 0)
		return -EPERM;
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

/* Common prologue: the parent directory, which the caller may search,
 * on a writable filesystem. */
static int parent_for_change(struct inode *start, const char *path, struct inode **dir,
                             const char **name, size_t *name_len, const struct vfs_cred *cred)
{
	int err = path_lookup_parent(start, path, dir, name, name_len);
	if (err < 0)
		return err;
	if ((*dir)->sb->read_only || mount_find_child(*dir, *name, *name_len) != NULL) {
		bool is_mount = mount_find_child(*dir, *name, *name_len) != NULL;
		inode_put(*dir);
		return is_mount ? -EBUSY : -EROFS;
	}
	err = vfs_permission(*dir, X_OK, cred);
	if (err < 0)
		inode_put(*dir);
	return err;
}

/* Look name up in dir and check that cred may remove it (the sticky bit
 * included); -ENOENT when missing. */
static int may_remove(struct inode *dir, const char *name, size_t len,
                      const struct vfs_cred *cred, bool *is_dir)
{
	struct inode *victim = NULL;
	int err = path_lookup_child(dir, name, len, &victim);
	if (err < 0)
		return err;
	*is_dir = inode_is_dir(victim);
	err = vfs_may_delete(dir, victim, cred);
	inode_put(victim);
	return err;
}

int vfs_mkdir(struct inode *start, const char *path, u32 mode)
{
	struct inode *dir = NULL;
	const char *name = NULL;
	size_t len = 0;
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	int err = path_lookup_parent(start, path, &dir, &name, &len);
	if (err < 0)
		return err;
	err = vfs_permission(dir, X_OK, &cred);
	if (err < 0) {
		inode_put(dir);
		return err;
	}
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
	else if ((err = vfs_permission(dir, W_OK | X_OK, &cred)) == 0)
		err = dir->iops->mkdir(dir, name, len, mode & 07777);
	inode_put(dir);
	return err;
}

int vfs_rmdir(struct inode *start, const char *path)
{
	struct inode *dir = NULL;
	const char *name = NULL;
	size_t len = 0;
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	int err = parent_for_change(start, path, &dir, &name, &len, &cred);
	if (err < 0)
		return err;
	bool is_dir = false;
	if (len == 1 && name[0] == '.')
		err = -EINVAL;
	else if (path_name_is_dot(name, len))
		err = -ENOTEMPTY;
	else if (dir->iops == NULL || dir->iops->rmdir == NULL)
		err = -EPERM;
	else if ((err = may_remove(dir, name, len, &cred, &is_dir)) == 0)
		err = dir->iops->rmdir(dir, name, len);
	inode_put(dir);
	return err;
}

int vfs_unlink(struct inode *start, const char *path)
{
	struct inode *dir = NULL;
	const char *name = NULL;
	size_t len = 0;
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	int err = parent_for_change(start, path, &dir, &name, &len, &cred);
	if (err < 0)
		return err;
	bool is_dir = false;
	err = may_remove(dir, name, len, &cred, &is_dir);
	if (err == 0) {
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
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	int err = path_lookup_parent(start, linkpath, &dir, &name, &len);
	if (err < 0)
		return err;
	struct inode *existing = NULL;
	if (path_name_is_dot(name, len)) {
		err = -EEXIST;
	} else if ((err = vfs_permission(dir, X_OK, &cred)) < 0) {
		/* no search permission: cannot even tell whether it exists */
	} else if (path_lookup_child(dir, name, len, &existing) == 0) {
		inode_put(existing);
		err = -EEXIST;
	} else if (dir->sb->read_only) {
		err = -EROFS;
	} else if (dir->iops == NULL || dir->iops->symlink == NULL) {
		err = -EPERM;
	} else if ((err = vfs_permission(dir, W_OK | X_OK, &cred)) == 0) {
		err = dir->iops->symlink(dir, name, len, target);
	}
	inode_put(dir);
	return err;
}

/* Rename needs to remove the old name (sticky bit included), to write
 * the new directory and, if the new name exists, to remove that too. */
static int rename_allowed(struct inode *old_dir, const char *old_name, size_t old_len,
                          struct inode *new_dir, const char *new_name, size_t new_len,
                          const struct vfs_cred *cred)
{
	bool is_dir = false;
	int err = may_remove(old_dir, old_name, old_len, cred, &is_dir);
	if (err < 0)
		return err;
	err = may_remove(new_dir, new_name, new_len, cred, &is_dir);
	if (err == -ENOENT)
		err = vfs_permission(new_dir, W_OK | X_OK, cred);
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
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	int err = parent_for_change(old_start, old_path, &old_dir, &old_name, &old_len, &cred);
	if (err < 0)
		return err;
	err = parent_for_change(new_start, new_path, &new_dir, &new_name, &new_len, &cred);
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
		err = rename_allowed(old_dir, old_name, old_len, new_dir, new_name, new_len, &cred);
	if (err == 0)
		err = old_dir->iops->rename(old_dir, old_name, old_len, new_dir, new_name, new_len,
		                            flags);
	inode_put(old_dir);
	inode_put(new_dir);
	return err;
}
