/*
 * sync.c: making changes durable (vfs.h, "durability"): fsync and
 * friends reach the filesystem's sync operation. Only persistent volumes
 * have one; everything else lives in memory or is read-only, and syncing
 * it trivially succeeds.
 */
#include "fs/mount.h"
#include "syscalls/linux_abi/errno.h"

int vfs_syncfs(struct inode *inode)
{
	struct fs_super *sb = inode->sb;
	return sb->sync != NULL ? sb->sync(sb) : 0;
}

int vfs_fsync(struct file *file)
{
	if (file->inode == NULL)
		return 0; /* pipes, sockets: nothing to write back */
	return vfs_syncfs(file->inode);
}

int vfs_sync_all(void)
{
	int result = 0;
	for (size_t i = 0;; i++) {
		struct mount *m = mount_at(i);
		if (m == NULL)
			break;
		if (m->sb->sync != NULL) {
			int err = m->sb->sync(m->sb);
			if (err < 0 && result == 0)
				result = err;
		}
	}
	return result;
}
