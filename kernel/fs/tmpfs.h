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

/* Pages of file data currently held by this instance. */
u64 tmpfs_pages_used(struct fs_super *sb);

/* An open (O_RDWR) unnamed file of size bytes on an internal, unmounted
 * instance: what backs MAP_SHARED|MAP_ANONYMOUS memory, so every process
 * that maps it (a forked child too) shares its pages. The caller owns
 * the reference in *out. 0, -ENOMEM or -ENOSPC. */
int tmpfs_anon_file(u64 size, struct file **out);

#endif
