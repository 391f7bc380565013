/*
 * tmpfs_node.h: tmpfs internals shared by tmpfs.c (namespace) and
 * tmpfs_data.c (file contents). Not for use outside fs/tmpfs*.
 */
#ifndef CVMIFY_FS_TMPFS_NODE_H
#define CVMIFY_FS_TMPFS_NODE_H

#include "fs/vfs.h"

#define TMPFS_MAX_FILE_SIZE (16ULL << 30)

struct tmpfs_fs {
	struct fs_super sb;
	u64 next_ino;
	u64 pages_used;
	u64 page_limit;
};

struct tmpfs_entry {
	struct tmpfs_entry *next;
	u64 id;                  /* getdents cookie: increasing, never reused */
	struct inode *child;     /* owned reference */
	u16 name_len;
	char name[];
};

struct tmpfs_node {
	struct inode *parent;    /* directories; not a reference */
	struct tmpfs_entry *entries;
	u64 next_id;
	u8 **pages;              /* regular files: page_slots slots, NULL = hole */
	size_t page_slots;
	char *target;            /* symlinks */
};

static inline struct tmpfs_fs *tfs(struct inode *inode)
{
	return inode->sb->priv;
}

static inline struct tmpfs_node *tnode(struct inode *inode)
{
	return inode->priv;
}

extern const struct file_ops g_tmpfs_fops;

struct ktimespec tmpfs_now(void);
void tmpfs_touch(struct inode *inode);

/* Free the data pages from index first on. */
void tmpfs_free_pages_from(struct tmpfs_fs *fs, struct tmpfs_node *node, size_t first);
int tmpfs_truncate(struct inode *inode, u64 size);

#endif
