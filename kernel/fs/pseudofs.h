/*
 * pseudofs.h: a small framework for filesystems whose tree is a static
 * table in the kernel (devfs, procfs). Directories list their children
 * from the table; a node may instead supply its own lookup/iterate for
 * children that change (/proc/self/fd). Generated files produce their
 * whole content at open into a private buffer that reads then serve.
 */
#ifndef CVMIFY_FS_PSEUDOFS_H
#define CVMIFY_FS_PSEUDOFS_H

#include "fs/vfs.h"

struct pseudo_node {
	u32 ino;                 /* unique in its table; the root is 1 */
	u32 parent;              /* ino of the directory holding it */
	const char *name;
	u32 mode;                /* S_IF* | permission bits */
	bool caller_owned;       /* owned by the caller, like /proc/self/...; else root */
	u64 rdev;                /* device number for S_IFCHR */
	u64 size;                /* what stat reports */
	const struct file_ops *fops;
	/* Generated content: write at most size bytes into buf, return the
	 * full length (call again with a bigger buffer if it did not fit). */
	long (*generate)(struct inode *inode, char *buf, size_t size);
	/* Optional: what an open file of it is tied to (Linux's environ: the
	 * address space of open time); once the answer changes, reads find
	 * the file empty. */
	u64 (*bind)(struct inode *inode);
	/* Symlinks: the target. */
	long (*readlink)(struct inode *inode, char *buf, size_t size);
	/* Magic links: the inode they stand for (inode_ops.jump). */
	int (*jump)(struct inode *inode, struct inode **out);
	/* Directories with changing children. A node whose parent is not in
	 * the table (a dynamic directory) is also asked for "..". */
	int (*lookup)(struct inode *dir, const char *name, size_t len, struct inode **out);
	int (*iterate)(struct inode *dir, u64 *cookie, struct vfs_dirent *out);
};

/* A filesystem over nodes[0..count) (kept, not copied). nodes[0] must be
 * the root directory (ino 1). */
struct fs_super *pseudofs_create(const char *type, u64 dev, const struct pseudo_node *nodes,
                                 size_t count);

/* An inode for node (used by dynamic lookups too); ino may differ from
 * node->ino for dynamic children. NULL when out of memory. */
struct inode *pseudofs_inode(struct fs_super *sb, const struct pseudo_node *node, u64 ino);

/* The node behind an inode of a pseudofs. */
const struct pseudo_node *pseudofs_node(struct inode *inode);

/* The table-driven lookup and listing of a directory's children, for a
 * node whose own lookup/iterate adds dynamic children (/proc). The
 * iterate cookie stays below 2^32. */
int pseudofs_lookup_static(struct inode *dir, const char *name, size_t len, struct inode **out);
int pseudofs_iterate_static(struct inode *dir, u64 *cookie, struct vfs_dirent *out);

/* file_ops for generated, read-only content (uses node->generate). */
extern const struct file_ops g_pseudo_generated_fops;

/* Return the target of a symlink held as a NUL-terminated string. */
long pseudofs_copy_link(const char *target, char *buf, size_t size);

#endif
