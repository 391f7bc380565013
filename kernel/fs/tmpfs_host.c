/*
 * tmpfs_host.c: the host's --tmpfs mounts (tmpfs_host.h). Their values
 * were checked by config/tmpfs_record.c and overrides.c (allowed, unique,
 * not a volume's target); here they only become mounts, as docker's
 * runtime makes them: the size and owner asked for, the mode of the
 * image's directory there if it has one (else the mode asked for), and
 * the mount's flags (ro, nosuid, nodev, noexec).
 */
#include "fs/mount.h"
#include "fs/path.h"
#include "fs/tmpfs.h"
#include "fs/tmpfs_host.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"

/* The tmpfs mounted at path, or NULL. */
static struct fs_super *mounted_tmpfs(const char *path)
{
	struct inode *root = vfs_root();
	struct inode *dir = NULL;
	int err = vfs_lookup(root, path, LOOKUP_FOLLOW, &dir);
	struct fs_super *root_sb = root->sb;
	inode_put(root);
	if (err < 0)
		return NULL;
	struct fs_super *sb = dir->sb;
	bool tmpfs = sb != root_sb && inode_is_fs_root(dir) && strcmp(sb->type, "tmpfs") == 0;
	inode_put(dir);
	return tmpfs ? sb : NULL;
}

/* The mode of the directory the image has at path, under whatever is
 * mounted there; fallback when it has none. Docker (runc) gives a tmpfs
 * over an existing directory that directory's mode, whatever mode= says. */
static u32 covered_mode(const char *path, u32 fallback)
{
	struct inode *root = vfs_root();
	struct inode *dir = NULL;
	const char *name = NULL;
	size_t len = 0;
	int err = path_lookup_parent(root, path, &dir, &name, &len);
	inode_put(root);
	if (err < 0)
		return fallback;
	u32 mode = fallback;
	struct inode *covered = NULL;
	if (dir->iops != NULL && dir->iops->lookup != NULL &&
	    dir->iops->lookup(dir, name, len, &covered) == 0) {
		if (inode_is_dir(covered))
			mode = covered->mode & 07777;
		inode_put(covered);
	}
	inode_put(dir);
	return mode;
}

/* The record's flags on the mounted sb: ro on the filesystem (it has
 * this one mount), the others on the mount. */
static int set_flags(struct fs_super *sb, u32 flags)
{
	u32 mount_flags = ((flags & CONFIG_TMPFS_NOSUID) ? VFS_MOUNT_NOSUID : 0) |
	                  ((flags & CONFIG_TMPFS_NODEV) ? VFS_MOUNT_NODEV : 0) |
	                  ((flags & CONFIG_TMPFS_NOEXEC) ? VFS_MOUNT_NOEXEC : 0);
	sb->read_only = (flags & CONFIG_TMPFS_RDONLY) != 0;
	return vfs_set_mount_flags(sb, mount_flags);
}

static int mount_one(const struct config_tmpfs *m, u64 default_pages)
{
	u64 pages = m->size ? (m->size + PAGE_SIZE - 1) / PAGE_SIZE : default_pages;
	u32 mode = covered_mode(m->path, m->mode);
	struct fs_super *sb = mounted_tmpfs(m->path);
	if (sb != NULL) {
		int err = tmpfs_configure(sb, mode, m->uid, m->gid, pages);
		return err < 0 ? err : set_flags(sb, m->flags);
	}
	sb = tmpfs_create(mode, pages);
	if (sb == NULL)
		return -ENOMEM;
	int err = tmpfs_configure(sb, mode, m->uid, m->gid, pages);
	if (err == 0)
		err = vfs_mount(m->path, sb);
	if (err < 0) {
		tmpfs_destroy(sb);
		return err;
	}
	return set_flags(sb, m->flags);
}

int fs_mount_host_tmpfs(const struct config_tmpfs *mounts, size_t count)
{
	u64 default_pages = page_total_count() / 2; /* Linux's default */
	for (size_t i = 0; i < count; i++) {
		int err = mount_one(&mounts[i], default_pages);
		if (err < 0) {
			kprintf("fs: cannot mount the host's tmpfs on %s (error %d)\n", mounts[i].path, err);
			return err;
		}
	}
	if (count > 0)
		kprintf("fs: %zu tmpfs mounts from the host\n", count);
	return 0;
}
