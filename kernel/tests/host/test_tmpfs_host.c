/*
 * test_tmpfs_host.c: the host's --tmpfs mounts (fs/tmpfs_host.c) over the
 * golden image: a new mount point gets a tmpfs with the size, mode and
 * owner asked for; over a directory of the image the mode is that
 * directory's (as runc makes it); the tmpfs already on /tmp takes the
 * options instead of a new one (writes stop at the new size); a /tmp
 * already written to is not changed; the record's flags go on the mount
 * (noexec: no execve; ro: no new files).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "fs/tmpfs.h"
#include "fs/tmpfs_host.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

static struct golden_image g_golden;
static struct inode *g_root;
static struct fs_super *g_tmp;

static bool setup(const char *golden)
{
	if (!golden_image_load(golden, &g_golden, NULL) || !golden_mount_root(&g_golden))
		return false;
	g_tmp = tmpfs_create(01777, 1024);
	if (g_tmp == NULL || vfs_mount("/tmp", g_tmp) < 0)
		return false;
	g_root = vfs_root();
	return true;
}

static struct config_tmpfs mount_spec(const char *path, u64 size, u32 mode, u32 uid, u32 gid)
{
	struct config_tmpfs m = { .size = size, .mode = mode, .uid = uid, .gid = gid };
	strcpy(m.path, path);
	return m;
}

static void check_root(const char *path, u32 mode, u32 uid, u32 gid)
{
	struct inode *dir = NULL;
	CHECK_EQ(vfs_lookup(g_root, path, LOOKUP_FOLLOW, &dir), 0);
	if (dir == NULL)
		return;
	struct kstat st;
	vfs_stat(dir, &st);
	CHECK_EQ(st.mode, S_IFDIR | mode);
	CHECK_EQ(st.uid, uid);
	CHECK_EQ(st.gid, gid);
	inode_put(dir);
}

/* Bytes written to path before ENOSPC (or 1 MiB). */
static long fill(const char *path)
{
	struct file *f = NULL;
	CHECK_EQ(vfs_open(g_root, path, O_CREAT | O_RDWR, 0600, &f), 0);
	if (f == NULL)
		return -1;
	static u8 chunk[4096];
	long total = 0;
	for (int i = 0; i < 256; i++) {
		long n = vfs_write(f, chunk, sizeof(chunk));
		if (n < 0) {
			CHECK_EQ(n, -ENOSPC);
			break;
		}
		total += n;
	}
	file_put(f);
	return total;
}

static void test_new_and_existing_mount_points(void)
{
	struct config_tmpfs mounts[3] = {
		mount_spec("/cache", 3 * 4096 + 1, 0750, 1000, 100), /* rounds up to 4 pages */
		mount_spec("/tmp", 2 * 4096, 0700, 7, 8),            /* the image's /tmp: 1777 */
		mount_spec("/etc", 0, 0700, 0, 0),                   /* the image's /etc: 755 */
	};
	CHECK_EQ(fs_mount_host_tmpfs(mounts, 3), 0);
	check_root("/cache", 0750, 1000, 100);
	check_root("/tmp", 01777, 7, 8);
	check_root("/etc", 0755, 0, 0);
	struct inode *hidden = NULL;
	CHECK_EQ(vfs_lookup(g_root, "/etc/hostname", 0, &hidden), -ENOENT); /* under the tmpfs */
	CHECK_EQ(fill("/cache/f"), 4 * 4096);
	CHECK_EQ(fill("/tmp/f"), 2 * 4096);
	struct kstatfs st;
	struct inode *cache = NULL;
	CHECK_EQ(vfs_lookup(g_root, "/cache", 0, &cache), 0);
	vfs_statfs(cache, &st);
	CHECK_EQ(st.blocks, 4);
	inode_put(cache);
}

static void test_a_used_tmpfs_is_not_changed(void)
{
	/* /tmp holds /tmp/f now: nothing the app could have seen changes */
	struct config_tmpfs again = mount_spec("/tmp", 0, 01777, 0, 0);
	CHECK_EQ(fs_mount_host_tmpfs(&again, 1), -EBUSY);
	check_root("/tmp", 01777, 7, 8);
	/* size 0: the default, half of memory */
	struct config_tmpfs big = mount_spec("/big", 0, 01777, 0, 0);
	CHECK_EQ(fs_mount_host_tmpfs(&big, 1), 0);
	check_root("/big", 01777, 0, 0);
	struct inode *dir = NULL;
	CHECK_EQ(vfs_lookup(g_root, "/big", 0, &dir), 0);
	struct kstatfs st;
	vfs_statfs(dir, &st);
	CHECK_EQ(st.blocks, page_total_count() / 2);
	inode_put(dir);
	/* not a directory in the image: refused, as by vfs_mount */
	struct config_tmpfs file = mount_spec("/data/f0", 0, 01777, 0, 0);
	CHECK_EQ(fs_mount_host_tmpfs(&file, 1), -ENOTDIR);
}

/* A 0755 file made at path, as root, before the mount turns read-only. */
static void make_program(const char *path)
{
	struct file *f = NULL;
	CHECK_EQ(vfs_open(g_root, path, O_CREAT | O_RDWR, 0755, &f), 0);
	if (f != NULL)
		file_put(f);
}

static int exec_open(const char *path)
{
	struct file *f = NULL;
	int err = vfs_open_exec(g_root, path, &f);
	if (err == 0)
		file_put(f);
	return err;
}

static void test_flags_go_on_the_mount(void)
{
	struct config_tmpfs noexec = mount_spec("/scratch", 0, 01777, 0, 0);
	noexec.flags = CONFIG_TMPFS_NOEXEC | CONFIG_TMPFS_NOSUID | CONFIG_TMPFS_NODEV;
	struct config_tmpfs plain = mount_spec("/plain", 0, 01777, 0, 0);
	CHECK_EQ(fs_mount_host_tmpfs(&noexec, 1), 0);
	CHECK_EQ(fs_mount_host_tmpfs(&plain, 1), 0);
	make_program("/scratch/prog");
	make_program("/plain/prog");
	CHECK_EQ(exec_open("/scratch/prog"), -EACCES);
	CHECK_EQ(exec_open("/plain/prog"), 0);

	struct inode *dir = NULL;
	CHECK_EQ(vfs_lookup(g_root, "/scratch", 0, &dir), 0);
	if (dir != NULL) {
		CHECK_EQ(vfs_mount_flags(dir), VFS_MOUNT_NOEXEC | VFS_MOUNT_NOSUID | VFS_MOUNT_NODEV);
		CHECK(!dir->sb->read_only);
		inode_put(dir);
	}
	CHECK_EQ(vfs_lookup(g_root, "/plain", 0, &dir), 0);
	if (dir != NULL) {
		CHECK_EQ(vfs_mount_flags(dir), 0);
		inode_put(dir);
	}

	/* ro: the tmpfs refuses new files (and has the other flags of none). */
	struct config_tmpfs ro = mount_spec("/ro", 0, 01777, 0, 0);
	ro.flags = CONFIG_TMPFS_RDONLY;
	CHECK_EQ(fs_mount_host_tmpfs(&ro, 1), 0);
	struct file *f = NULL;
	CHECK_EQ(vfs_open(g_root, "/ro/new", O_CREAT | O_RDWR, 0600, &f), -EROFS);
	CHECK_EQ(vfs_lookup(g_root, "/ro", 0, &dir), 0);
	if (dir != NULL) {
		CHECK(dir->sb->read_only);
		CHECK_EQ(vfs_mount_flags(dir), 0);
		inode_put(dir);
	}
}

static const struct host_test g_tests[] = {
	{ "new_and_existing_mount_points", test_new_and_existing_mount_points },
	{ "a_used_tmpfs_is_not_changed", test_a_used_tmpfs_is_not_changed },
	{ "flags_go_on_the_mount", test_flags_go_on_the_mount },
};

int main(int argc, char **argv)
{
	int status = golden_test_main(argc, argv, setup, g_tests,
	                              (int)(sizeof(g_tests) / sizeof(g_tests[0])));
	inode_put(g_root);
	return status;
}
