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
#include "syscalls/linux_abi/fcntl.h"

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

/* Read link's target into a fresh buffer and append "/rest" to it, so
 * that the walk continues through the link without recursion. */
static int splice_link(struct inode *link, const char *rest, char **out)
{
	if (link->iops == NULL || link->iops->readlink == NULL)
		return -EINVAL;
	char *buf = kmalloc(VFS_PATH_MAX);
	if (buf == NULL)
		return -ENOMEM;
	long len = link->iops->readlink(link, buf, VFS_PATH_MAX - 1);
	if (len <= 0) {
		kfree(buf);
		return len == 0 ? -ENOENT : (int)len;
	}
	buf[len] = 0;
	len = (long)strnlen(buf, (size_t)len); /* a NUL inside ends the target */
	size_t rest_len = strlen(rest);
	if (rest_len > 0) {
		if ((size_t)len + 1 + rest_len >= VFS_PATH_MAX) {
			kfree(buf);
			return -ENAMETOOLONG;
		}
		buf[len] = '/';
		memcpy(buf + len + 1, rest, rest_len + 1);
	}
	*out = buf;
	return 0;
}

/* A magic link (inode_ops.jump) stands for an inode, not a path: replace
 * *link with it. 0 when it did; else *link stays and its text is used. */
static int jump_link(struct inode **link)
{
	struct inode *target = NULL;
	if ((*link)->iops == NULL || (*link)->iops->jump == NULL ||
	    (*link)->iops->jump(*link, &target) != 0)
		return 1;
	inode_put(*link);
	*link = target;
	return 0;
}

/* One step of the walk: dir must be a directory the caller may search. */
static int walk_step(struct inode *dir, const char *name, size_t len,
                     const struct vfs_cred *cred, struct inode **out)
{
	if (!inode_is_dir(dir))
		return -ENOTDIR;
	int err = vfs_permission(dir, X_OK, cred);
	if (err < 0)
		return err;
	return path_lookup_child(dir, name, len, out);
}

/* Remember where the final name was found (for /proc/self/fd paths). */
static void note_found(struct path_found *found, struct inode *dir, const char *name,
                       size_t len)
{
	if (found == NULL)
		return;
	if (found->dir != NULL)
		inode_put(found->dir);
	found->dir = NULL;
	if (path_name_is_dot(name, len) || len > VFS_NAME_MAX)
		return;
	found->dir = inode_get(dir);
	memcpy(found->name, name, len);
	found->name[len] = 0;
}

void path_found_release(struct path_found *found)
{
	if (found->dir != NULL)
		inode_put(found->dir);
	found->dir = NULL;
}

/*
 * The walk: one component at a time from cur, each needing search (x)
 * permission on the directory it is looked up in. A symlink to follow is
 * replaced by "target/rest of the path" (a new heap buffer) and the walk
 * goes on from the link's directory, or from "/" for an absolute target.
 * Iterative, so a chain of 40 links costs no kernel stack.
 */
int path_walk(struct inode *start, const char *path, u32 flags, struct inode **out,
              struct path_found *found)
{
	if (found != NULL)
		found->dir = NULL;
	size_t path_len = strnlen(path, VFS_PATH_MAX);
	if (path_len >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (path_len == 0)
		return -ENOENT;
	/* A trailing slash asks for a directory and follows a final link. */
	if (path[path_len - 1] == '/')
		flags |= LOOKUP_FOLLOW | LOOKUP_DIRECTORY;

	struct vfs_cred cred;
	vfs_current_cred(&cred);
	struct inode *cur = path[0] == '/' ? vfs_root() : inode_get(start);
	if (cur == NULL)
		return -ENOENT;
	char *owned = NULL; /* the spliced path we walk, if any */
	const char *p = path;
	int hops = 0;
	int err = 0;

	for (;;) {
		while (*p == '/')
			p++;
		if (*p == 0)
			break;
		const char *name = p;
		while (*p != 0 && *p != '/')
			p++;
		size_t len = (size_t)(p - name);
		const char *rest = p;
		while (*rest == '/')
			rest++;
		bool last = *rest == 0;

		struct inode *next = NULL;
		bool jumped = false;
		err = walk_step(cur, name, len, &cred, &next);
		if (err < 0)
			break;
		if (inode_is_link(next) && (!last || (flags & LOOKUP_FOLLOW)) &&
		    jump_link(&next) == 0) {
			jumped = true;
			if (++hops > VFS_SYMLINK_HOPS) {
				inode_put(next);
				err = -ELOOP;
				break;
			}
		} else if (inode_is_link(next) && (!last || (flags & LOOKUP_FOLLOW))) {
			char *spliced = NULL;
			err = ++hops > VFS_SYMLINK_HOPS ? -ELOOP : splice_link(next, rest, &spliced);
			inode_put(next);
			if (err < 0)
				break;
			if (owned != NULL)
				kfree(owned);
			owned = spliced;
			p = owned;
			if (*p == '/') {
				inode_put(cur);
				cur = vfs_root();
			}
			continue;
		}
		if (last && !jumped) /* a magic link's target has no name here */
			note_found(found, cur, name, len);
		inode_put(cur);
		cur = next;
		if (!last && !inode_is_dir(cur)) {
			err = -ENOTDIR;
			break;
		}
	}
	if (owned != NULL)
		kfree(owned);
	if (err == 0 && (flags & LOOKUP_DIRECTORY) && !inode_is_dir(cur))
		err = -ENOTDIR;
	if (err < 0) {
		inode_put(cur);
		if (found != NULL)
			path_found_release(found);
		return err;
	}
	*out = cur;
	return 0;
}

int vfs_lookup(struct inode *start, const char *path, u32 flags, struct inode **out)
{
	return path_walk(start, path, flags, out, NULL);
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
