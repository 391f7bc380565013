/*
 * volfs.h: persistent volumes as filesystems (docs/volume-format.md): a
 * writable, encrypted, integrity-protected tree on a block device, every
 * change held in memory until a commit (fsync, sync, a full cache, the
 * app's exit) writes it copy-on-write and switches the header, so a
 * volume killed at any moment opens in its last committed state.
 */
#ifndef CVMIFY_FS_VOLFS_H
#define CVMIFY_FS_VOLFS_H

#include "fs/vfs.h"
#include "fs/volfs_store.h"

/* Open the volume on dev with key, in exactly the expected state (the
 * launcher's, from the measured overrides; NULL only in tests), check all
 * its metadata, and (unless read_only) take the next nonce epoch with a
 * first commit. -EACCES: not the expected state (rolled back, tampered,
 * a wrong key); -EIO: corrupt metadata or a device error; -EINVAL: a bad
 * header; -ENOMEM. */
int volfs_mount(const struct volfs_dev *dev, const u8 key[VOLFS_KEY_SIZE],
                const struct volfs_state *expected, bool read_only, struct fs_super **out);

/* Release everything, after a commit if commit (host tests; the kernel
 * never unmounts). */
void volfs_unmount(struct fs_super *sb, bool commit);

/* The committed state (the launcher records it after the run). */
void volfs_state_of(struct fs_super *sb, struct volfs_state *out);

/* The header flags the next commit writes (VOLFS_FLAG_FRESH until the
 * first writable mount has filled the volume). */
u32 volfs_flags(struct fs_super *sb);
void volfs_set_flags(struct fs_super *sb, u32 flags);

/* Drop clean cached pages and inodes nobody uses (memory pressure).
 * Returns how many pages were freed. */
size_t volfs_reclaim(struct fs_super *sb, size_t want);

const struct volfs_stats *volfs_stats(struct fs_super *sb);

/* Each mounted volume's counters to the kernel log (at the app's end). */
void volfs_log_stats(void);

/* The boot step (volfs_boot.c): attach volumes[i] from the (i+2)-th
 * virtio-blk device with platform_volume_key(i), filling a fresh one from
 * the image, and mount it at its path. 0, or the first error (with the
 * reason in the log); main.c then stops (fail closed). */
struct config_volume;
int fs_mount_volumes(const struct config_volume *volumes, size_t count);

/* Take the tmpfs mount points that a volume replaces out of the list
 * (the strings freed); returns how many are left, in order. */
size_t volfs_drop_tmpfs(char **tmpfs, size_t count, const struct config_volume *volumes,
                        size_t volume_count);

#endif
