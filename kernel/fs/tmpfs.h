/*
 * tmpfs.h: an in-memory filesystem for /tmp and the config's TMPFS mount
 * points: files (sparse, page by page), directories, symlinks, hard
 * links, rename, unlink, truncate. Data lives in pages the instance owns;
 * the total is bounded by page_limit (writes past it fail with -ENOSPC).
 * The same code is the writable root: a tmpfs over the image.
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

/* The root overlay (docs/kernel-memory.md): a tmpfs whose tree starts as
 * the tree of lower (read-only, with iget), changed in memory. New inodes
 * are numbered from first_new_ino up (above the image's numbers); file
 * data that differs from the image counts against page_limit.
 * read_only: every change is refused with -EROFS (READ_ONLY_ROOT). */
struct fs_super *tmpfs_create_overlay(struct fs_super *lower, u64 first_new_ino,
                                      u64 page_limit, bool read_only);

/* Pages of file data currently held by this instance. */
u64 tmpfs_pages_used(struct fs_super *sb);

/* An open (O_RDWR) unnamed file of size bytes on an internal, unmounted
 * instance: what backs MAP_SHARED|MAP_ANONYMOUS memory, so every process
 * that maps it (a forked child too) shares its pages. The caller owns
 * the reference in *out. 0, -ENOMEM or -ENOSPC. */
int tmpfs_anon_file(u64 size, struct file **out);

/* memfd_create: an unnamed file (no seals when sealable, else
 * F_SEAL_SEAL) named for /proc/self/fd as "memfd:NAME (deleted)".
 * -EINVAL for a name longer than MFD_NAME_MAX. */
int tmpfs_memfd(const char *name, bool sealable, struct file **out);
/* F_GET_SEALS: the file's seals; -EINVAL when it is not a tmpfs file. */
int tmpfs_get_seals(const struct file *file);
/* F_ADD_SEALS: -EPERM when sealed against sealing or open read-only,
 * -EBUSY for F_SEAL_WRITE while writably_mapped (a shared mapping that
 * may write exists), -EINVAL for unknown seals or other files. */
int tmpfs_add_seals(struct file *file, u32 seals, bool writably_mapped);

/* Data pages a tmpfs file holds now (SHM_INFO's resident count). */
u64 tmpfs_file_pages(struct inode *inode);

#endif
