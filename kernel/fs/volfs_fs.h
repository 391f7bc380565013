/*
 * volfs_fs.h: volfs internals shared by volfs.c (mount, inodes, commit),
 * volfs_dir.c (directories) and volfs_ops.c (the VFS operations). Not for
 * use outside fs/volfs*.
 *
 * Ownership: the filesystem keeps one reference on every inode it has
 * loaded (its inode cache); the VFS and open files add theirs. An inode
 * leaves the cache when reclaim finds it clean and used by nobody else,
 * or when it was removed and the commit that frees its slot is done.
 * Dirty inodes are on the dirty list, each with its inode-table page
 * already dirty (reserved), so a commit always has room.
 */
#ifndef CVMIFY_FS_VOLFS_FS_H
#define CVMIFY_FS_VOLFS_FS_H

#include "fs/vfs.h"
#include "fs/volfs_tree.h"
#include "lib/list.h"

#define VOLFS_MAGIC 0x766f6c66ULL   /* statfs f_type: "volf" */
#define VOLFS_CACHE_BUCKETS 256

/* One name of a loaded directory. */
struct volfs_name {
	struct volfs_name *hash_next;
	u64 pos;                     /* byte offset of its record in the directory */
	u32 ino;
	u8 type;                     /* DT_* */
	u8 len;
	char name[];                 /* len bytes + NUL */
};

/* A directory's names, loaded once and kept in step with its blocks. */
struct volfs_dir {
	struct volfs_name **buckets;
	u32 bucket_count;            /* a power of two */
	u32 count;
	u64 blocks;                  /* blocks of the directory */
	u16 *room;                   /* per block: the largest record it can take */
};

struct volfs_inode {
	struct volfs_obj obj;
	u32 parent;                  /* directories: the inode of .. */
	bool meta_dirty;             /* on the dirty list, table page reserved */
	bool removed;                /* no name and no user: freed at the next commit */
	struct volfs_dir *dir;       /* directories, once loaded */
	struct inode *hash_next;     /* the inode cache */
	struct list_node dirty_link;
	struct list_node orphan_link; /* no name, but still open */
};

struct volfs_fs {
	struct fs_super sb;
	struct volfs_store st;
	struct volfs_obj table;      /* the inode table (object 0) */
	u64 table_size;              /* bytes */
	u64 *free_slots;             /* bit set: inode slot free */
	u64 slot_words;
	u64 live_inodes;
	struct inode *cache[VOLFS_CACHE_BUCKETS];
	struct list_node dirty;      /* volfs_inode.dirty_link */
	struct list_node orphans;    /* volfs_inode.orphan_link */
	u64 disk_orphans;            /* found by the mount walk */
	u32 flags;                   /* header flags the next commit writes */
	u64 dirty_page_limit;        /* a write past it commits */
};

static inline struct volfs_inode *vinode(struct inode *inode)
{
	return inode->priv;
}

static inline struct volfs_fs *vfs_of(struct inode *inode)
{
	return inode->sb->priv;
}

extern const struct inode_ops g_volfs_iops;
extern const struct file_ops g_volfs_fops;

/* ---- volfs.c ---- */

/* Around every operation the VFS calls (volfs_ops.c): while one runs, the
 * allocator's reclaim hook leaves volfs alone; at the outermost entry,
 * low memory makes volfs give back clean pages first. */
void volfs_enter(void);
void volfs_leave(void);

struct ktimespec volfs_now(void);
/* The inode numbered ino (a new reference), loaded and checked. -EIO for
 * a corrupt or free slot. */
int volfs_iget(struct volfs_fs *fs, u32 ino, struct inode **out);
/* A new inode of mode in a free slot, owned as Linux would (the caller's
 * ids, the directory's group under setgid). A new reference; -ENOSPC. */
int volfs_new_inode(struct volfs_fs *fs, struct inode *dir, u32 mode, struct inode **out);
/* inode's metadata will change: its table page becomes dirty (reserved).
 * -ENOSPC, -EROFS, -EIO. */
int volfs_touch_meta(struct inode *inode);
/* A name of inode went away: with no name and no user left it is freed
 * by the next commit. */
void volfs_drop_link(struct inode *inode);
/* Commit everything changed (fsync, sync, a full cache, unmount). */
int volfs_commit(struct volfs_fs *fs);
/* inode_ops.release: free an inode's memory (the cache let it go). */
void volfs_forget_inode(struct inode *inode);

/* ---- volfs_dir.c ---- */

/* Load dir's names (once). -EIO for a corrupt directory, -ENOMEM. */
int volfs_dir_ready(struct inode *dir);
struct volfs_name *volfs_dir_find(struct volfs_dir *d, const char *name, size_t len);
/* Add a record (dirtying, and first reserving, the block it goes in). */
int volfs_dir_add(struct inode *dir, const char *name, size_t len, u32 ino, u8 type);
/* Remove the record of n (n is freed). */
int volfs_dir_remove(struct inode *dir, struct volfs_name *n);
/* Point the record of n at another inode (rename over a name). */
int volfs_dir_retarget(struct inode *dir, struct volfs_name *n, u32 ino, u8 type);
/* Next used record at or after *cookie (a byte position); 1, 0 at the end. */
int volfs_dir_next(struct inode *dir, u64 *cookie, struct vfs_dirent *out);
void volfs_dir_free(struct volfs_dir *d);

#endif
