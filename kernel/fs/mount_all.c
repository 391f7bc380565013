/*
 * mount_all.c: the boot step that builds the file tree (fs_mount_all in
 * vfs.h): virtio-blk root disk -> cvmfs (refused unless its root equals
 * the measured DISK_ROOT) under the root overlay at /, then devfs, procfs
 * and the tmpfs mounts.
 */
#include "drivers/virtio/blk.h"
#include "fs/cvmfs.h"
#include "fs/cvmfs_disk.h"
#include "mm/kmalloc.h"
#include "fs/devfs.h"
#include "fs/procfs.h"
#include "fs/tmpfs.h"
#include "fs/volfs.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"

static struct fs_super *g_image; /* the root disk, under the overlay */

void fs_log_stats(void)
{
	if (g_image != NULL)
		cvmfs_log_stats(g_image);
	volfs_log_stats();
}

static int blk_source_read(void *ctx, u64 offset, void *buf, size_t size)
{
	if (offset % BLK_SECTOR_SIZE != 0 || size % BLK_SECTOR_SIZE != 0)
		return -EINVAL;
	return blk_read(ctx, offset / BLK_SECTOR_SIZE, buf, size / BLK_SECTOR_SIZE);
}

static int blk_source_read_start(void *ctx, u64 offset, size_t size)
{
	if (offset % BLK_SECTOR_SIZE != 0 || size % BLK_SECTOR_SIZE != 0)
		return -EINVAL;
	return blk_read_ahead_start(ctx, offset / BLK_SECTOR_SIZE, size / BLK_SECTOR_SIZE);
}

static int blk_source_read_finish(void *ctx, void *buf)
{
	return blk_read_ahead_finish(ctx, buf);
}

/* The root disk: the first virtio-blk device, probed once. */
static int root_source(struct cvmfs_source *src)
{
	static struct blk_disk *disk;
	if (disk == NULL) {
		int err = blk_probe(&disk);
		if (err < 0) {
			kprintf("fs: no usable virtio-blk root disk (error %d)\n", err);
			disk = NULL;
			return err;
		}
	}
	*src = (struct cvmfs_source){
		.read = blk_source_read,
		.read_start = blk_source_read_start,
		.read_finish = blk_source_read_finish,
		.ctx = disk,
		.size = blk_sector_count(disk) * BLK_SECTOR_SIZE,
	};
	return 0;
}

int fs_root_disk_check(const u8 expected_root[48])
{
	struct cvmfs_source src;
	int err = root_source(&src);
	if (err < 0)
		return err;
	struct cvmfs_disk *check = kzalloc(sizeof(*check));
	if (check == NULL)
		return -ENOMEM;
	err = cvmfs_disk_open(check, &src, NULL, expected_root);
	if (err == -EACCES)
		kprintf("fs: the disk root does not match the measured config: refusing the disk\n");
	cvmfs_disk_close(check);
	kfree(check);
	return err;
}

static int mount_root(const u8 disk_key[32], const u8 expected_root[48], bool read_only)
{
	struct cvmfs_source src;
	int err = root_source(&src);
	if (err < 0)
		return err;
	struct fs_super *root = NULL;
	err = cvmfs_create(&src, disk_key, expected_root, &root);
	if (err == -EACCES)
		kprintf("fs: the disk root does not match the measured config: refusing the disk\n");
	else if (err == -EINVAL)
		kprintf("fs: the disk superblock is invalid\n");
	if (err < 0)
		return err;
	g_image = root;
	/* The overlay's changes may take half of RAM, like a tmpfs. */
	struct fs_super *overlay = tmpfs_create_overlay(root, cvmfs_inode_count(root) + 1,
	                                                page_total_count() / 2, read_only);
	if (overlay == NULL)
		return -ENOMEM;
	return vfs_mount_root(overlay);
}

static int mount_one(const char *path, struct fs_super *sb, u32 flags)
{
	if (sb == NULL)
		return -ENOMEM;
	int err = vfs_mount(path, sb);
	if (err < 0)
		kprintf("fs: cannot mount %s on %s (error %d)\n", sb->type, path, err);
	return err < 0 ? err : vfs_set_mount_flags(sb, flags);
}

static bool is_tmp(const char *path)
{
	return strcmp(path, "/tmp") == 0 || strcmp(path, "/tmp/") == 0;
}

int fs_mount_all(const u8 disk_key[32], const u8 expected_root[48],
                 const char *const *tmpfs_paths, size_t tmpfs_count, bool read_only_root)
{
	int err = mount_root(disk_key, expected_root, read_only_root);
	if (err < 0)
		return err;
	/* Each tmpfs may take half of RAM; page_alloc failing stops it first. */
	u64 tmpfs_pages = page_total_count() / 2;

	/* The flags docker's runtime gives /dev, /dev/shm and /proc; /tmp is
	 * part of docker's container layer, which has none. */
	const u32 restricted = VFS_MOUNT_NOSUID | VFS_MOUNT_NODEV | VFS_MOUNT_NOEXEC;
	err = mount_one("/dev", devfs_create(), VFS_MOUNT_NOSUID);
	if (err == 0)
		err = mount_one("/dev/shm", tmpfs_create(01777, tmpfs_pages), restricted);
	if (err == 0)
		err = mount_one("/proc", procfs_create(), restricted);
	if (err == 0)
		err = mount_one("/tmp", tmpfs_create(01777, tmpfs_pages), 0);
	size_t extra = 0;
	for (size_t i = 0; err == 0 && i < tmpfs_count; i++) {
		if (is_tmp(tmpfs_paths[i]))
			continue;
		/* Docker's tmpfs default mode: a non-root app can write there. */
		err = mount_one(tmpfs_paths[i], tmpfs_create(01777, tmpfs_pages), 0);
		extra++;
	}
	if (err == 0)
		kprintf("fs: root mounted (%s); /dev, /dev/shm, /proc, /tmp and %zu more tmpfs\n",
		        read_only_root ? "read-only" : "writable overlay", extra);
	return err;
}
