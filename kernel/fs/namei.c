/*
 * namei.c: metadata and namespace operations: stat, readlink, truncate,
 * fallocate, chmod, chown, mkdir, rmdir, unlink, symlink, link, rename.
 * The VFS checks
 * names, types, read-only filesystems and the caller's permissions
 * (fs/perm.c) here; filesystems do the rest.
 */
#include "fs/mount.h"
#include "syscalls/linux_abi/capability.h"
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

static void (*g_unmap_hook)(struct inode *inode, u64 start, u64 end, bool private_too);

void vfs_set_unmap_hook(void (*hook)(struct inode *inode, u64 start, u64 end,
                                     bool private_too))
{
	g_unmap_hook = hook;
}

void vfs_unmap_file_range(struct inode *inode, u64 start, u64 end, bool private_too)
{
	if (g_unmap_hook != NULL)
		g_unmap_hook(inode, start, end, private_too);
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
	u64 old_size = inode->size;
	int err = inode->iops->truncate(inode, size);
	if (err == 0 && size < old_size)
		vfs_unmap_file_range(inode, ALIGN_UP(size, PAGE_SIZE), ~0ULL, true);
	return err;
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

int vfs_fallocate(struct file *file, u32 mode, s64 offset, s64 len)
{
	u32 acc = file->flags & O_ACCMODE;
	if (offset < 0 || len <= 0)
		return -EINVAL;
	if (mode & ~(u32)(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (file->inode == NULL || (file->flags & O_PATH) || (acc != O_WRONLY && acc != O_RDWR))
		return -EBADF;
	struct inode *inode = file->inode;
	if (inode_is_dir(inode))
		return -EISDIR;
	if (!inode_is_reg(inode))
		return -ENODEV;
	if (inode->sb->read_only)
		return -EROFS;
	if (inode->iops == NULL || inode->iops->fallocate == NULL)
		return -EOPNOTSUPP;
	if (len > 0x7fffffffffffffffLL - offset)
		return -EFBIG;
	return inode->iops->fallocate(inode, mode, (u64)offset, (u64)len);
}

int vfs_chmod(struct inode *inode, u32 mode)
{
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	if (inode->sb->read_only)
		return -EROFS;
	if (!vfs_is_owner(inode, &cred))
		return -EPERM;
	/* Linux: setgid needs membership in the file's group (or CAP_FSETID). */
	if (!(cred.caps & CAP_BIT(CAP_FSETID)) && !vfs_cred_in_group(&cred, inode->gid))
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
	if (cred->caps & CAP_BIT(CAP_CHOWN))
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
	if (inode->iops != NULL && inode->iops->prepare_change != NULL) {
		int err = inode->iops->prepare_change(inode);
		if (err < 0)
			return err;
	}
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
	if (inode->iops != NULL && inode->iops->prepare_change != NULL) {
		int err = inode->iops->prepare_change(inode);
		if (err < 0)
			return err;
	}
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
	out->mount_flags = vfs_mount_flags(inode);
	if (sb->free_blocks != NULL)
		out->blocks_free = sb->free_blocks(sb);
}

/* A namespace change under way: the caller's credentials, the parent
 * directory of the path (a reference the caller puts) and the last
 * component, which points into the path and is not NUL-terminated. */
struct dir_change {
	struct vfs_cred cred;
	struct inode *dir;
	const char *name;
	size_t len;
};

/* Fill c with the caller's credentials and the parent of path. */
static int change_lookup(struct inode *start, const char *path, struct dir_change *c)
{
	vfs_current_cred(&c->cred);
	c->dir = NULL;
	c->name = NULL;
	c->len = 0;
	return path_lookup_parent(start, path, &c->dir, &c->name, &c->len);
}

/* As change_lookup, for a change that removes or replaces a name: the
 * parent must be searchable, on a writable filesystem, and the name no
 * mount point. */
static int parent_for_change(struct inode *start, const char *path, struct dir_change *c)
{
	int err = change_lookup(start, path, c);
	if (err < 0)
		return err;
	if (c->dir->sb->read_only || mount_find_child(c->dir, c->name, c->len) != NULL) {
		bool is_mount = mount_find_child(c->dir, c->name, c->len) != NULL;
		inode_put(c->dir);
		return is_mount ? -EBUSY : -EROFS;
	}
	err = vfs_permission(c->dir, X_OK, &c->cred);
	if (err < 0)
		inode_put(c->dir);
	return err;
}

/* Look c's name up in its directory and check that the caller may remove
 * it (the sticky bit included); -ENOENT when missing. */
static int may_remove(const struct dir_change *c, bool *is_dir)
{
	struct inode *victim = NULL;
	int err = path_lookup_child(c->dir, c->name, c->len, &victim);
	if (err < 0)
		return err;
	*is_dir = inode_is_dir(victim);
	err = vfs_may_delete(c->dir, victim, &c->cred);
	inode_put(victim);
	return err;
}

/* mkdir and mknod: a new name in a writable, searchable directory. */
static int make_node(struct inode *start, const char *path, u32 mode)
{
	struct dir_change c;
	int err = change_lookup(start, path, &c);
	if (err < 0)
		return err;
	err = vfs_permission(c.dir, X_OK, &c.cred);
	if (err < 0) {
		inode_put(c.dir);
		return err;
	}
	struct inode *existing = NULL;
	if (path_lookup_child(c.dir, c.name, c.len, &existing) == 0) {
		inode_put(existing);
		inode_put(c.dir);
		return -EEXIST;
	}
	bool dir = (mode & S_IFMT) == S_IFDIR;
	const struct inode_ops *ops = c.dir->iops;
	if (c.dir->sb->read_only)
		err = -EROFS;
	else if (ops == NULL || (dir ? ops->mkdir == NULL : ops->mknod == NULL))
		err = -EPERM;
	else if ((err = vfs_permission(c.dir, W_OK | X_OK, &c.cred)) == 0 && dir)
		err = ops->mkdir(c.dir, c.name, c.len, mode & 07777);
	else if (err == 0)
		err = ops->mknod(c.dir, c.name, c.len, mode);
	inode_put(c.dir);
	return err;
}

int vfs_mkdir(struct inode *start, const char *path, u32 mode)
{
	return make_node(start, path, S_IFDIR | (mode & 07777));
}

int vfs_mknod(struct inode *start, const char *path, u32 mode)
{
	u32 type = mode & S_IFMT;
	if (type != S_IFSOCK && type != S_IFIFO)
		return -EPERM;
	return make_node(start, path, mode);
}

int vfs_rmdir(struct inode *start, const char *path)
{
	struct dir_change c;
	int err = parent_for_change(start, path, &c);
	if (err < 0)
		return err;
	bool is_dir = false;
	if (c.len == 1 && c.name[0] == '.')
		err = -EINVAL;
	else if (path_name_is_dot(c.name, c.len))
		err = -ENOTEMPTY;
	else if (c.dir->iops == NULL || c.dir->iops->rmdir == NULL)
		err = -EPERM;
	else if ((err = may_remove(&c, &is_dir)) == 0)
		err = c.dir->iops->rmdir(c.dir, c.name, c.len);
	inode_put(c.dir);
	return err;
}

int vfs_unlink(struct inode *start, const char *path)
{
	struct dir_change c;
	int err = parent_for_change(start, path, &c);
	if (err < 0)
		return err;
	bool is_dir = false;
	err = may_remove(&c, &is_dir);
	if (err == 0) {
		if (is_dir)
			err = -EISDIR;
		else if (c.name[c.len] == '/')
			err = -ENOTDIR;
		else if (c.dir->iops == NULL || c.dir->iops->unlink == NULL)
			err = -EPERM;
		else
			err = c.dir->iops->unlink(c.dir, c.name, c.len);
	}
	inode_put(c.dir);
	return err;
}

/* May c's name be added to its directory? -EEXIST if it is there (or is
 * "." / ".."), -EROFS, -EACCES without search or write permission. */
static int may_add_name(const struct dir_change *c)
{
	struct inode *existing = NULL;
	if (path_name_is_dot(c->name, c->len))
		return -EEXIST;
	int err = vfs_permission(c->dir, X_OK, &c->cred);
	if (err < 0)
		return err; /* no search permission: cannot even tell whether it exists */
	if (path_lookup_child(c->dir, c->name, c->len, &existing) == 0) {
		inode_put(existing);
		return -EEXIST;
	}
	if (c->dir->sb->read_only)
		return -EROFS;
	return vfs_permission(c->dir, W_OK | X_OK, &c->cred);
}

int vfs_symlink(const char *target, struct inode *start, const char *linkpath)
{
	size_t target_len = strnlen(target, VFS_PATH_MAX);
	if (target_len == 0)
		return -ENOENT;
	if (target_len >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	struct dir_change c;
	int err = change_lookup(start, linkpath, &c);
	if (err < 0)
		return err;
	err = may_add_name(&c);
	if (err == 0 && (c.dir->iops == NULL || c.dir->iops->symlink == NULL))
		err = -EPERM;
	if (err == 0)
		err = c.dir->iops->symlink(c.dir, c.name, c.len, target);
	inode_put(c.dir);
	return err;
}

/* Linux's protected_hardlinks (on in Debian and in docker): without
 * privilege, only a file one owns or may read and write gets a new name. */
static int may_link_to(struct inode *target, const struct vfs_cred *cred)
{
	if (vfs_is_owner(target, cred))
		return 0;
	if (!inode_is_reg(target) || (target->mode & S_ISUID) ||
	    (target->mode & (S_ISGID | 0010)) == (S_ISGID | 0010))
		return -EPERM;
	return vfs_permission(target, R_OK | W_OK, cred) == 0 ? 0 : -EPERM;
}

int vfs_link(struct inode *old_start, const char *old_path, struct inode *new_start,
             const char *new_path, u32 flags)
{
	struct inode *target = NULL;
	int err = vfs_lookup(old_start, old_path, flags & LOOKUP_FOLLOW, &target);
	if (err < 0)
		return err;
	struct dir_change c;
	err = change_lookup(new_start, new_path, &c);
	if (err < 0) {
		inode_put(target);
		return err;
	}
	if (inode_is_dir(target))
		err = -EPERM;
	else if (c.name[c.len] == '/')
		err = -ENOENT; /* a trailing slash names a directory */
	else
		err = may_add_name(&c);
	if (err == 0 && target->sb != c.dir->sb)
		err = -EXDEV;
	if (err == 0)
		err = may_link_to(target, &c.cred);
	if (err == 0 && (c.dir->iops == NULL || c.dir->iops->link == NULL))
		err = -EPERM;
	if (err == 0)
		err = c.dir->iops->link(target, c.dir, c.name, c.len);
	inode_put(c.dir);
	inode_put(target);
	return err;
}

/* Rename needs to remove the old name (sticky bit included), to write
 * the new directory and, if the new name exists, to remove that too. */
static int rename_allowed(const struct dir_change *from, const struct dir_change *to)
{
	bool is_dir = false;
	int err = may_remove(from, &is_dir);
	if (err < 0)
		return err;
	err = may_remove(to, &is_dir);
	if (err == -ENOENT)
		err = vfs_permission(to->dir, W_OK | X_OK, &to->cred);
	return err;
}

int vfs_rename(struct inode *old_start, const char *old_path, struct inode *new_start,
               const char *new_path, u32 flags)
{
	if (flags & ~(u32)RENAME_NOREPLACE)
		return -EINVAL;
	struct dir_change from, to;
	int err = parent_for_change(old_start, old_path, &from);
	if (err < 0)
		return err;
	err = parent_for_change(new_start, new_path, &to);
	if (err < 0) {
		inode_put(from.dir);
		return err;
	}
	if (path_name_is_dot(from.name, from.len) || path_name_is_dot(to.name, to.len))
		err = -EBUSY;
	else if (from.dir->sb != to.dir->sb)
		err = -EXDEV;
	else if (from.dir->iops == NULL || from.dir->iops->rename == NULL)
		err = -EPERM;
	else
		err = rename_allowed(&from, &to);
	if (err == 0)
		err = from.dir->iops->rename(from.dir, from.name, from.len, to.dir, to.name, to.len,
		                             flags);
	inode_put(from.dir);
	inode_put(to.dir);
	return err;
}
