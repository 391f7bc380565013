/*
 * path.c: path resolution. Paths are kernel strings; each component is
 * checked here (length, "." and ".."), mounts are crossed here, and
 * symlinks are followed here with one hop budget per lookup.
 */
#include "fs/mount.h"
#include "fs/path.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "syscalls/linux_abi/errno.h"

/* ".." of dir: the parent inside its filesystem, or across a mount. */
static int lookup_dotdot(struct inode *dir, struct inode **out)
{
	if (inode_is_fs_root(dir)) {
		struct mount *m = dir->sb->mount;
		/* ".." of "/" is "/"; of a mounted root, the directory that
		 * holds the mount point. */
		if (m == NULL || m->parent_dir == NULL)
			*out = inode_get(dir);
		else
			*out = inode_get(m->parent_dir);
		return 0;
	}
	if (dir->iops == NULL || dir->iops->lookup == NULL)
		return -ENOENT;
	return dir->iops->lookup(dir, "..", 2, out);
}

int path_lookup_child(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	if (!inode_is_dir(dir))
		return -ENOTDIR;
	if (len == 0 || (len == 1 && name[0] == '.')) {
		*out = inode_get(dir);
		return 0;
	}
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return lookup_dotdot(dir, out);
	if (len > VFS_NAME_MAX)
		return -ENAMETOOLONG;
	struct mount *m = mount_find_child(dir, name, len);
	if (m != NULL) {
		*out = inode_get(m->sb->root);
		return 0;
	}
	if (dir->iops == NULL || dir->iops->lookup == NULL)
		return -ENOENT;
	return dir->iops->lookup(dir, name, len, out);
}

static int walk(struct inode *start, const char *path, u32 flags, int *hops,
                struct inode **out);

/* Replace *node (a symlink found in dir) by what it points to. */
static int follow_link(struct inode *dir, struct inode **node, int *hops)
{
	if (++*hops > VFS_SYMLINK_HOPS)
		return -ELOOP;
	struct inode *link = *node;
	if (link->iops == NULL || link->iops->readlink == NULL)
		return -EINVAL;
	char *target = kmalloc(VFS_PATH_MAX);
	if (target == NULL)
		return -ENOMEM;
	long len = link->iops->readlink(link, target, VFS_PATH_MAX - 1);
	if (len < 0) {
		kfree(target);
		return (int)len;
	}
	if (len == 0) {
		kfree(target);
		return -ENOENT;
	}
	target[len] = 0;
	struct inode *resolved = NULL;
	int err = walk(dir, target, LOOKUP_FOLLOW, hops, &resolved);
	kfree(target);
	if (err < 0)
		return err;
	inode_put(link);
	*node = resolved;
	return 0;
}

static int walk(struct inode *start, const char *path, u32 flags, int *hops,
                struct inode **out)
{
	size_t path_len = strnlen(path, VFS_PATH_MAX);
	if (path_len >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (path_len == 0)
		return -ENOENT;

	struct inode *cur = path[0] == '/' ? vfs_root() : inode_get(start);
	if (cur == NULL)
		return -ENOENT;
	size_t pos = 0;
	bool trailing_slash = path[path_len - 1] == '/';

	for (;;) {
		while (path[pos] == '/')
			pos++;
		if (path[pos] == 0)
			break;
		size_t begin = pos;
		while (path[pos] != 0 && path[pos] != '/')
			pos++;
		size_t len = pos - begin;
		size_t rest = pos;
		while (path[rest] == '/')
			rest++;
		bool last = path[rest] == 0;

		struct inode *next = NULL;
		int err = path_lookup_child(cur, path + begin, len, &next);
		if (err < 0) {
			inode_put(cur);
			return err;
		}
		bool follow = !last || (flags & LOOKUP_FOLLOW) || trailing_slash;
		if (inode_is_link(next) && follow) {
			err = follow_link(cur, &next, hops);
			if (err < 0) {
				inode_put(next);
				inode_put(cur);
				return err;
			}
		}
		inode_put(cur);
		cur = next;
		if (!last && !inode_is_dir(cur)) {
			inode_put(cur);
			return -ENOTDIR;
		}
	}
	if (((flags & LOOKUP_DIRECTORY) || trailing_slash) && !inode_is_dir(cur)) {
		inode_put(cur);
		return -ENOTDIR;
	}
	*out = cur;
	return 0;
}

int vfs_lookup(struct inode *start, const char *path, u32 flags, struct inode **out)
{
	int hops = 0;
	return walk(start, path, flags, &hops, out);
}

int path_lookup_parent(struct inode *start, const char *path, struct inode **dir,
                       const char **name, size_t *name_len)
{
	size_t len = strnlen(path, VFS_PATH_MAX);
	if (len >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (len == 0)
		return -ENOENT;
	size_t end = len;
	while (end > 1 && path[end - 1] == '/')
		end--;
	size_t slash = end;
	while (slash > 0 && path[slash - 1] != '/')
		slash--;
	*name = path + slash;
	*name_len = end - slash;
	if (*name_len > VFS_NAME_MAX)
		return -ENAMETOOLONG;

	if (slash == 0) {
		if (!inode_is_dir(start))
			return -ENOTDIR;
		*dir = inode_get(start);
		return 0;
	}
	char *parent = kmalloc(slash + 1);
	if (parent == NULL)
		return -ENOMEM;
	memcpy(parent, path, slash);
	parent[slash] = 0;
	int err = vfs_lookup(start, parent, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, dir);
	kfree(parent);
	return err;
}

bool path_name_is_dot(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.') ||
	       len == 0;
}

/* Find the name under which dir appears in parent (getcwd). */
static int name_in_parent(struct inode *parent, struct inode *dir, struct vfs_dirent *ent)
{
	for (size_t i = 0; mount_at(i) != NULL; i++) {
		struct mount *m = mount_at(i);
		if (m->parent_dir != NULL && inode_same(m->parent_dir, parent) &&
		    inode_same(m->sb->root, dir)) {
			ent->name_len = (u16)strlen(m->name);
			memcpy(ent->name, m->name, ent->name_len + 1);
			return 0;
		}
	}
	if (parent->iops == NULL || parent->iops->iterate == NULL)
		return -ENOENT;
	u64 cookie = 0;
	for (;;) {
		int got = parent->iops->iterate(parent, &cookie, ent);
		if (got < 0)
			return got;
		if (got == 0)
			return -ENOENT;
		if (ent->ino == dir->ino && parent->sb == dir->sb)
			return 0;
	}
}

long vfs_getcwd(struct inode *dir, char *buf, size_t size)
{
	struct vfs_dirent *ent = kmalloc(sizeof(*ent));
	char *tmp = kmalloc(VFS_PATH_MAX);
	if (ent == NULL || tmp == NULL) {
		if (ent != NULL)
			kfree(ent);
		if (tmp != NULL)
			kfree(tmp);
		return -ENOMEM;
	}
	/* Build the path right to left in tmp. */
	size_t start = VFS_PATH_MAX - 1;
	tmp[start] = 0;
	long result = 0;
	struct inode *cur = inode_get(dir);
	for (int depth = 0;; depth++) {
		struct inode *parent = NULL;
		if (depth > 1024 || lookup_dotdot(cur, &parent) < 0) {
			result = -ENOENT;
			break;
		}
		if (inode_same(parent, cur)) { /* reached "/" */
			inode_put(parent);
			break;
		}
		int err = name_in_parent(parent, cur, ent);
		inode_put(cur);
		cur = parent;
		if (err < 0) {
			result = err;
			break;
		}
		if ((size_t)ent->name_len + 1 > start) {
			result = -ENAMETOOLONG;
			break;
		}
		start -= ent->name_len;
		memcpy(tmp + start, ent->name, ent->name_len);
		tmp[--start] = '/';
	}
	inode_put(cur);
	if (result == 0) {
		if (start == VFS_PATH_MAX - 1)
			tmp[--start] = '/';
		size_t len = VFS_PATH_MAX - 1 - start;
		if (len + 1 > size) {
			result = -ERANGE;
		} else {
			memcpy(buf, tmp + start, len + 1);
			result = (long)len;
		}
	}
	kfree(ent);
	kfree(tmp);
	return result;
}
