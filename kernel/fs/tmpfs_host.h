/*
 * tmpfs_host.h: the host's --tmpfs mounts (TMPFS_MOUNT overrides,
 * config/tmpfs_record.h), mounted after fs_mount_all.
 */
#ifndef CVMIFY_FS_TMPFS_HOST_H
#define CVMIFY_FS_TMPFS_HOST_H

#include "config/tmpfs_record.h"

/* Mount each: a tmpfs of that size (0: half of memory) and owner, its
 * root with the mode of the image's directory at that path, or the mode
 * asked for where the image has none (as runc does). Where fs_mount_all
 * already put a tmpfs (/tmp, an image VOLUME) that still-empty tmpfs
 * takes the options instead, as if docker had mounted the host's there.
 * Returns 0 or the first error. */
int fs_mount_host_tmpfs(const struct config_tmpfs *mounts, size_t count);

#endif
