/*
 * tmpfs.h: an in-memory filesystem for /tmp and the config's TMPFS mount
 * points: files (sparse, page by page), directories, symlinks, rename,
 * unlink, truncate. Data lives in private pages; the total is bounded by
 * page_limit (writes past it fail with -ENOSPC).
 */
#ifndef CVMIFY_FS_TMPFS_H
#define CVMIFY_FS_TMPFS_H

#include "fs/vfs.h"

/* A new, empty tmpfs whose root has mode (e.g. 01777 for /tmp). */
struct fs_super *tmpfs_create(u32 root_mode, u64 page_limit);

/* Free a tmpfs that was never mounted and holds nothing (a mount that
 * failed). */
void tmpfs_destroy(struct fs_super *sb);

/* New options for a tmpfs nothing has used yet (-EBUSY otherwise): the
 * root's mode and owner, the page limit (docker's --tmpfs options). */
int tmpfs_configure(struct fs_super *sb, u32 root_mode, u32 uid, u32 gid, u64 page_limit);

/* Pages of file data currently held by this instance. */
u64 tmpfs_pages_used(struct fs_super *sb);

#endif
