/*
 * mount.h: the mount table (internal to fs/).
 *
 * A mount attaches a filesystem's root to a name inside a directory of
 * another filesystem. The name need not exist there (images built FROM
 * scratch have no /proc or /dev), so mounts are found by (parent
 * directory, name) while walking a path, before asking the filesystem.
 */
#ifndef CVMIFY_FS_MOUNT_H
#define CVMIFY_FS_MOUNT_H

#include "fs/vfs.h"

#define MOUNT_MAX 80

struct mount {
	struct fs_super *sb;
	struct inode *parent_dir;          /* owned reference; NULL for "/" */
	char name[VFS_NAME_MAX + 1];       /* name in parent_dir */
	u32 flags;                         /* VFS_MOUNT_* (read-only is sb->read_only) */
};

/* The filesystem mounted at (dir, name), or NULL. */
struct mount *mount_find_child(struct inode *dir, const char *name, size_t len);

/* True if inode is the root directory of its filesystem. */
bool inode_is_fs_root(struct inode *inode);

/* Same inode (filesystem and number)? Several struct inodes may stand
 * for one disk inode. */
bool inode_same(const struct inode *a, const struct inode *b);

/* Visit every mount (for getdents to show mount points). */
struct mount *mount_at(size_t index);

#endif
