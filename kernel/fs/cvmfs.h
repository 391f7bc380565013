/*
 * cvmfs.h: the encrypted, read-only root filesystem (docs/disk-format.md)
 * as a VFS filesystem. The block source is abstract so that the same code
 * runs over virtio-blk in the guest and over a file in host tests.
 */
#ifndef CVMIFY_FS_CVMFS_H
#define CVMIFY_FS_CVMFS_H

#include "fs/cvmfs_disk.h"
#include "fs/vfs.h"

/* Open the image (see cvmfs_disk_open for the checks and errors) and
 * load its root directory. On success *out is a new filesystem instance,
 * ready for vfs_mount_root. */
int cvmfs_create(const struct cvmfs_source *src, const u8 disk_key[CVMFS_KEY_SIZE],
                 const u8 expected_root[CVMFS_ROOT_SIZE], struct fs_super **out);

/* The verified disk root of an instance (for measurement). */
const u8 *cvmfs_root_hash(struct fs_super *sb);

/* The image's highest inode number (an overlay numbers new inodes above). */
u64 cvmfs_inode_count(struct fs_super *sb);

/* Log the block layer's statistics (cvmfs_disk_log_stats). */
void cvmfs_log_stats(struct fs_super *sb);

#endif
