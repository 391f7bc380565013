/*
 * tmpfs_node.h: tmpfs internals shared by tmpfs.c (namespace),
 * tmpfs_dir.c (directory tables and the lower layer) and tmpfs_data.c
 * (file contents). Not for use outside fs/tmpfs*.
 *
 * A tmpfs instance may sit on a read-only lower filesystem (the root
 * overlay, docs/kernel-memory.md): a node then may have a lower inode
 * whose names (directories) or bytes (files) it shows until it changes
 * them.
 */
#ifndef CVMIFY_FS_TMPFS_NODE_H
#define CVMIFY_FS_TMPFS_NODE_H

#include "fs/vfs.h"
#include "syscalls/linux_abi/fcntl.h"

#define TMPFS_MAX_FILE_SIZE (16ULL << 30)

/* An image inode with several names (a hard link in the image) maps to
 * one tmpfs inode, found here while it lives. */
struct tmpfs_alias {
	u64 lower_ino;
	struct inode *inode;     /* not a reference: removed on release */
	struct tmpfs_alias *next;
};

struct tmpfs_fs {
	struct fs_super sb;
	u64 next_ino;
	u64 pages_used;
	u64 page_limit;
	struct fs_super *lower;  /* the overlay's image, or NULL */
	struct tmpfs_alias *aliases;
};

struct tmpfs_entry {
	struct tmpfs_entry *next;       /* directory order (getdents) */
	struct tmpfs_entry *prev;
	struct tmpfs_entry *hash_next;
	u64 id;                         /* getdents cookie: increasing, never reused */
	struct inode *child;            /* owned reference; NULL: not loaded yet */
	u64 lower_ino;                  /* while child is NULL: the image inode named */
	u8 type;                        /* DT_* */
	u16 name_len;
	char name[];
};

/* A directory's names: a list in getdents order plus a hash index, so a
 * lookup costs the same in a directory of 10 or 100,000 names. */
struct tmpfs_dir {
	struct tmpfs_entry *first;
	struct tmpfs_entry *last;
	struct tmpfs_entry **buckets;
	u32 bucket_count;               /* a power of two, 0 before the first name */
	u32 count;
	u64 next_id;
	struct tmpfs_entry *cursor;     /* the last entry iterate returned */
};

struct tmpfs_node {
	struct inode *parent;    /* directories; not a reference */
	struct tmpfs_dir dir;
	struct inode *lower;     /* the image inode behind this one (owned), or NULL */
	bool lower_loaded;       /* directory: the lower names are in dir */
	u64 lower_size;          /* file: bytes below this not in pages[] come from lower */
	struct file *lower_file; /* file: lower opened for reading, on first use */
	u8 **pages;              /* regular files: page_slots slots, NULL = hole/lower */
	size_t page_slots;
	char *target;            /* symlinks (NULL: read the lower one) */
	u32 seals;               /* F_SEAL_*: F_SEAL_SEAL unless a sealable memfd */
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

/* Seals against changing the data (writes, fallocate, writable shared
 * mappings) and against growing. */
#define TMPFS_SEALS_WRITE (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

struct ktimespec tmpfs_now(void);
void tmpfs_touch(struct inode *inode);

/* ---- tmpfs_dir.c ---- */

/* The entry for name, or NULL. */
struct tmpfs_entry *tmpfs_dir_find(struct tmpfs_dir *d, const char *name, size_t len);
/* Append a name. child: a reference the directory takes over (or NULL
 * with lower_ino and type for a name not loaded yet). -ENOMEM. */
int tmpfs_dir_add(struct tmpfs_dir *d, const char *name, size_t len, struct inode *child,
                  u64 lower_ino, u8 type);
/* Remove e; returns the child reference it held (may be NULL). */
struct inode *tmpfs_dir_remove(struct tmpfs_dir *d, struct tmpfs_entry *e);
/* Free every entry, dropping their references. */
void tmpfs_dir_free(struct tmpfs_dir *d);
/* Before any use of a directory: load the lower directory's names into
 * its table, once. 0, -ENOMEM or the lower filesystem's error. */
int tmpfs_dir_ready(struct inode *dir);
/* The inode an entry names, loading it from the lower layer if needed
 * (borrowed: the entry keeps its reference). */
int tmpfs_entry_inode(struct inode *dir, struct tmpfs_entry *e, struct inode **out);
/* An inode with image aliases is going away: forget it. */
void tmpfs_forget_alias(struct tmpfs_fs *fs, struct inode *inode);

/* ---- tmpfs.c ---- */

/* A tmpfs inode for an image inode (its metadata, lower set). */
int tmpfs_inode_from_lower(struct tmpfs_fs *fs, struct inode *lower, struct inode *parent,
                           struct inode **out);

/* ---- tmpfs_data.c ---- */

/* Free the data pages from index first on. */
void tmpfs_free_pages_from(struct tmpfs_fs *fs, struct tmpfs_node *node, size_t first);
int tmpfs_truncate(struct inode *inode, u64 size);
/* fallocate: mode 0 or FALLOC_FL_KEEP_SIZE reserve pages, with
 * FALLOC_FL_PUNCH_HOLE (checked by the VFS) zero the range. */
int tmpfs_fallocate(struct inode *inode, u32 mode, u64 offset, u64 len);
/* Drop what a file node holds of the lower layer (on release). */
void tmpfs_data_release(struct tmpfs_node *node);

#endif
