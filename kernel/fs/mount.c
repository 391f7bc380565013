/*
 * mount.c: the mount table. Mounts are set up at boot (fs_mount_all) and
 * never removed; one table for the whole kernel.
 */
#include "fs/mount.h"
#include "lib/string.h"
#include "syscalls/linux_abi/errno.h"

static struct mount g_mounts[MOUNT_MAX];
static size_t g_mount_count;
static struct fs_super *g_root_sb;

bool inode_same(const struct inode *a, const struct inode *b)
{
	return a->sb == b->sb && a->ino == b->ino;
}

bool inode_is_fs_root(struct inode *inode)
{
	return inode_same(inode, inode->sb->root);
}

struct mount *mount_at(size_t index)
{
	return index < g_mount_count ? &g_mounts[index] : NULL;
}

struct mount *mount_find_child(struct inode *dir, const char *name, size_t len)
{
	for (size_t i = 0; i < g_mount_count; i++) {
		struct mount *m = &g_mounts[i];
		if (m->parent_dir == NULL || !inode_same(m->parent_dir, dir))
			continue;
		if (strlen(m->name) == len && memcmp(m->name, name, len) == 0)
			return m;
	}
	return NULL;
}

struct inode *vfs_root(void)
{
	if (g_root_sb == NULL)
		return NULL;
	return inode_get(g_root_sb->root);
}

int vfs_mount_root(struct fs_super *root_sb)
{
	if (g_root_sb != NULL || g_mount_count >= MOUNT_MAX)
		return -EBUSY;
	struct mount *m = &g_mounts[g_mount_count++];
	m->sb = root_sb;
	m->parent_dir = NULL;
	strlcpy(m->name, "/", sizeof(m->name));
	m->flags = 0;
	root_sb->mount = m;
	g_root_sb = root_sb;
	return 0;
}

/* Split an absolute path into its parent directory and last name. */
static int split_mount_path(const char *path, char *parent, size_t parent_size,
                            const char **name, size_t *name_len)
{
	size_t len = strnlen(path, VFS_PATH_MAX);
	if (len == 0 || len >= VFS_PATH_MAX || path[0] != '/')
		return -EINVAL;
	while (len > 1 && path[len - 1] == '/')
		len--;
	size_t slash = len;
	while (slash > 0 && path[slash - 1] != '/')
		slash--;
	*name = path + slash;
	*name_len = len - slash;
	if (*name_len == 0 || *name_len > VFS_NAME_MAX || slash >= parent_size)
		return -EINVAL;
	memcpy(parent, path, slash);
	parent[slash] = 0;
	return 0;
}

/* Attach sb at path. A directory mount (file == false) may cover a
 * directory or nothing; a file mount (sb's root is not a directory) may
 * cover anything but a directory. */
static int mount_at_path(const char *path, struct fs_super *sb, bool file)
{
	char parent_path[VFS_PATH_MAX];
	const char *name = NULL;
	size_t name_len = 0;

	if (g_root_sb == NULL)
		return -ENOENT;
	if (g_mount_count >= MOUNT_MAX)
		return -ENOMEM;
	int err = split_mount_path(path, parent_path, sizeof(parent_path), &name, &name_len);
	if (err < 0)
		return err;
	if ((name_len == 1 && name[0] == '.') || (name_len == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;

	struct inode *root = vfs_root();
	struct inode *parent = NULL;
	err = vfs_lookup(root, parent_path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &parent);
	inode_put(root);
	if (err < 0)
		return err;
	if (mount_find_child(parent, name, name_len) != NULL) {
		inode_put(parent);
		return -EBUSY;
	}
	/* If the name exists in the parent, it must be of the same kind. */
	if (parent->iops != NULL && parent->iops->lookup != NULL) {
		struct inode *existing = NULL;
		if (parent->iops->lookup(parent, name, name_len, &existing) == 0) {
			bool is_dir = inode_is_dir(existing);
			inode_put(existing);
			if (is_dir == file) {
				inode_put(parent);
				return file ? -EISDIR : -ENOTDIR;
			}
		}
	}

	struct mount *m = &g_mounts[g_mount_count++];
	m->sb = sb;
	m->parent_dir = parent;
	memcpy(m->name, name, name_len);
	m->name[name_len] = 0;
	m->flags = 0;
	sb->mount = m;
	return 0;
}

int vfs_set_mount_flags(struct fs_super *sb, u32 flags)
{
	if (sb->mount == NULL)
		return -EINVAL;
	sb->mount->flags = flags;
	return 0;
}

u32 vfs_mount_flags(const struct inode *inode)
{
	return inode->sb->mount != NULL ? inode->sb->mount->flags : 0;
}

int vfs_mount(const char *path, struct fs_super *sb)
{
	return mount_at_path(path, sb, false);
}

int vfs_mount_file(const char *path, struct fs_super *sb)
{
	if (inode_is_dir(sb->root))
		return -EISDIR;
	return mount_at_path(path, sb, true);
}
