/*
 * test_overlay.c: the root overlay (a tmpfs over the golden cvmfs image,
 * as the kernel mounts /): the image's tree through it, then every kind
 * of change on image paths (copy-up per page, deletes, renames, chmod,
 * chown, hard links, directories), the space limit (ENOSPC), and
 * READ_ONLY_ROOT (tested in its own process: one root per process).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "fs/tmpfs.h"
#include "golden.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

#define PAGE_LIMIT 16

static struct golden_image g_golden;
static struct golden_entry g_entries[64];
static int g_entry_count;
static struct inode *g_root;
static bool g_read_only;

static bool setup(const char *golden, bool read_only)
{
	char *json = NULL;
	if (!golden_image_load(golden, &g_golden, &json))
		return false;
	g_entry_count = golden_parse_listing(json, g_entries, 64);
	free(json);
	if (g_entry_count <= 0 || !golden_mount_overlay(&g_golden, PAGE_LIMIT, read_only))
		return false;
	g_root = vfs_root();
	g_read_only = read_only;
	return true;
}

static long read_all(const char *path, u8 *buf, size_t size)
{
	struct file *f = NULL;
	int err = vfs_open(g_root, path, O_RDONLY, 0, &f);
	if (err < 0)
		return err;
	long got = 0;
	for (;;) {
		long n = vfs_read(f, buf + got, size - (size_t)got);
		if (n <= 0)
			break;
		got += n;
	}
	file_put(f);
	return got;
}

static long write_at(const char *path, const void *data, size_t size, s64 offset)
{
	struct file *f = NULL;
	int err = vfs_open(g_root, path, O_WRONLY, 0, &f);
	if (err < 0)
		return err;
	long n = vfs_pwrite(f, data, size, offset);
	file_put(f);
	return n;
}

static u64 ino_of(const char *path)
{
	struct inode *inode = NULL;
	if (vfs_lookup(g_root, path, 0, &inode) < 0)
		return 0;
	u64 ino = inode->ino;
	inode_put(inode);
	return ino;
}

static void test_image_through_overlay(void)
{
	for (int i = 0; i < g_entry_count; i++)
		golden_check_entry(g_root, &g_entries[i]);
	struct kstatfs st;
	vfs_statfs(g_root, &st);
	CHECK_EQ(st.type, 0x794c7630); /* overlayfs, as docker's root reports */
	CHECK_EQ(st.read_only, g_read_only);
}

static void test_copy_up_one_page(void)
{
	static u8 before[20000], after[20000];
	CHECK_EQ(read_all("/data/f20000", before, sizeof(before)), 20000);
	u64 used = tmpfs_pages_used(g_root->sb);
	CHECK_EQ(write_at("/data/f20000", "XYZ", 3, 8190), 3); /* straddles pages 1 and 2 */
	CHECK_EQ(tmpfs_pages_used(g_root->sb), used + 2);      /* two pages copied up */
	CHECK_EQ(read_all("/data/f20000", after, sizeof(after)), 20000);
	CHECK(memcmp(after, before, 8190) == 0);
	CHECK(memcmp(after + 8190, "XYZ", 3) == 0);
	CHECK(memcmp(after + 8193, before + 8193, 20000 - 8193) == 0);
	/* Truncation cuts the image's bytes for good; growth reads zeros. */
	struct inode *inode = NULL;
	CHECK_EQ(vfs_lookup(g_root, "/data/f20000", 0, &inode), 0);
	CHECK_EQ(vfs_truncate(inode, 100), 0);
	CHECK_EQ(vfs_truncate(inode, 20000), 0);
	inode_put(inode);
	CHECK_EQ(read_all("/data/f20000", after, sizeof(after)), 20000);
	CHECK(memcmp(after, before, 100) == 0);
	u8 zeros[1000] = { 0 };
	CHECK(memcmp(after + 100, zeros, sizeof(zeros)) == 0);
	CHECK(memcmp(after + 12000, zeros, sizeof(zeros)) == 0);
}

static void test_deletes_and_renames(void)
{
	u8 buf[64];
	CHECK_EQ(vfs_unlink(g_root, "/etc/hostname"), 0);
	CHECK_EQ(read_all("/etc/hostname", buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(vfs_rmdir(g_root, "/srv"), 0);          /* an empty image directory */
	CHECK_EQ(ino_of("/srv"), 0);
	CHECK_EQ(vfs_rmdir(g_root, "/usr"), -ENOTEMPTY);
	/* A whole image directory moves; its files come along unread. */
	CHECK_EQ(vfs_rename(g_root, "/usr/bin", g_root, "/opt-bin", 0), 0);
	CHECK_EQ(ino_of("/opt-bin/tool"), 17);
	CHECK_EQ(ino_of("/usr/bin"), 0);
	CHECK_EQ(vfs_rename(g_root, "/opt-bin", g_root, "/usr/bin", 0), 0);
	/* A new file replaces an image file of the same name. */
	struct file *f = NULL;
	CHECK_EQ(vfs_open(g_root, "/data/new", O_CREAT | O_WRONLY, 0644, &f), 0);
	CHECK_EQ(vfs_write(f, "fresh", 5), 5);
	file_put(f);
	CHECK_EQ(vfs_rename(g_root, "/data/new", g_root, "/data/f4097", 0), 0);
	CHECK_EQ(read_all("/data/f4097", buf, sizeof(buf)), 5);
	CHECK(memcmp(buf, "fresh", 5) == 0);
	/* Names from the image and new ones, each once, in getdents. */
	int seen_f0 = 0, seen_f4097 = 0, total = 0;
	struct file *dir = NULL;
	CHECK_EQ(vfs_open(g_root, "/data", O_RDONLY | O_DIRECTORY, 0, &dir), 0);
	u8 ents[2048];
	long n;
	while ((n = vfs_getdents64(dir, ents, sizeof(ents))) > 0) {
		for (long at = 0; at < n;) {
			const char *name = (const char *)ents + at + 19;
			seen_f0 += strcmp(name, "f0") == 0;
			seen_f4097 += strcmp(name, "f4097") == 0;
			total++;
			u16 reclen;
			memcpy(&reclen, ents + at + 16, 2);
			at += reclen;
		}
	}
	file_put(dir);
	CHECK_EQ(seen_f0, 1);
	CHECK_EQ(seen_f4097, 1);
	CHECK_EQ(total, 2 + 7); /* ".", "..", six fNNNN and the long name */
}

static void test_metadata_and_links(void)
{
	struct inode *inode = NULL;
	CHECK_EQ(vfs_lookup(g_root, "/usr/bin/tool", 0, &inode), 0);
	u64 used = tmpfs_pages_used(g_root->sb);
	CHECK_EQ(vfs_chmod(inode, 0700), 0);
	CHECK_EQ(vfs_chown(inode, 33, 44), 0);
	CHECK_EQ(tmpfs_pages_used(g_root->sb), used); /* metadata needs no copy-up */
	inode_put(inode);
	struct kstat st;
	CHECK_EQ(vfs_lookup(g_root, "/usr/bin/tool", 0, &inode), 0);
	vfs_stat(inode, &st);
	inode_put(inode);
	CHECK_EQ(st.mode & 07777, 0700);
	CHECK_EQ(st.uid, 33);
	CHECK_EQ(st.gid, 44);

	/* An image hard link stays one file after a write through one name. */
	CHECK_EQ(ino_of("/usr/bin/tool-link"), ino_of("/data/f4096"));
	CHECK_EQ(write_at("/usr/bin/tool-link", "LINK", 4, 0), 4);
	u8 buf[8];
	CHECK_EQ(read_all("/data/f4096", buf, 4), 4);
	CHECK(memcmp(buf, "LINK", 4) == 0);
	/* link(2) on an image file, and unlinking one name keeps the other. */
	CHECK_EQ(vfs_link(g_root, "/data/f1", g_root, "/etc/f1-link", 0), 0);
	CHECK_EQ(vfs_lookup(g_root, "/data/f1", 0, &inode), 0);
	CHECK_EQ(inode->nlink, 2);
	inode_put(inode);
	CHECK_EQ(vfs_unlink(g_root, "/data/f1"), 0);
	CHECK_EQ(vfs_lookup(g_root, "/etc/f1-link", 0, &inode), 0);
	CHECK_EQ(inode->nlink, 1);
	CHECK_EQ(inode->size, 1);
	inode_put(inode);
	CHECK_EQ(vfs_link(g_root, "/usr", g_root, "/usr2", 0), -EPERM);
	CHECK_EQ(vfs_link(g_root, "/data/f0", g_root, "/tmp/x", 0), 0); /* /tmp is the image's here */
	CHECK_EQ(vfs_link(g_root, "/data/f0", g_root, "/etc/f1-link", 0), -EEXIST);
}

static void test_directories(void)
{
	CHECK_EQ(vfs_mkdir(g_root, "/data/sub", 0755), 0);
	CHECK_EQ(vfs_mkdir(g_root, "/data/sub/deeper", 0700), 0);
	CHECK_EQ(vfs_mkdir(g_root, "/data/f0", 0755), -EEXIST);
	CHECK_EQ(vfs_rename(g_root, "/data", g_root, "/data/sub/x", 0), -EINVAL);
	CHECK_EQ(vfs_rename(g_root, "/data/sub", g_root, "/etc/sub", 0), 0);
	CHECK(ino_of("/etc/sub/deeper") != 0);
	char cwd[256];
	struct inode *dir = NULL;
	CHECK_EQ(vfs_lookup(g_root, "/etc/sub/deeper", 0, &dir), 0);
	CHECK(vfs_getcwd(dir, cwd, sizeof(cwd)) > 0 && strcmp(cwd, "/etc/sub/deeper") == 0);
	inode_put(dir);
	CHECK_EQ(vfs_rmdir(g_root, "/etc/sub"), -ENOTEMPTY);
	CHECK_EQ(vfs_rmdir(g_root, "/etc/sub/deeper"), 0);
	CHECK_EQ(vfs_rmdir(g_root, "/etc/sub"), 0);
	/* A directory of the image that was never listed can go once empty. */
	CHECK_EQ(vfs_unlink(g_root, "/usr/bin/tool"), 0);
	CHECK_EQ(vfs_unlink(g_root, "/usr/bin/tool-link"), 0);
	CHECK_EQ(vfs_rmdir(g_root, "/usr/bin"), 0);
	CHECK_EQ(vfs_rmdir(g_root, "/usr"), 0);
	CHECK_EQ(vfs_lookup(g_root, "/bin/", LOOKUP_FOLLOW, &dir), -ENOENT); /* dangling now */
}

static void test_space_limit(void)
{
	struct file *f = NULL;
	CHECK_EQ(vfs_open(g_root, "/big", O_CREAT | O_RDWR, 0600, &f), 0);
	static u8 chunk[4096 * 8];
	long total = 0;
	long n = 0;
	for (int i = 0; i < 20 && n >= 0; i++) {
		n = vfs_write(f, chunk, sizeof(chunk));
		if (n > 0)
			total += n;
	}
	CHECK_EQ(n, -ENOSPC);
	CHECK_EQ(tmpfs_pages_used(g_root->sb), PAGE_LIMIT);
	CHECK(total < PAGE_LIMIT * 4096);
	/* Full: a copy-up fails cleanly too, and the image file is intact. */
	CHECK_EQ(write_at("/data/f4095", "x", 1, 0), -ENOSPC);
	u8 buf[4095];
	CHECK_EQ(read_all("/data/f4095", buf, sizeof(buf)), 4095);
	CHECK_EQ(vfs_ftruncate(f, 0), 0);
	file_put(f);
	CHECK_EQ(vfs_unlink(g_root, "/big"), 0);
	CHECK_EQ(write_at("/data/f4095", "x", 1, 0), 1);
}

static void test_read_only_root(void)
{
	struct file *f = NULL;
	CHECK_EQ(vfs_open(g_root, "/etc/hostname", O_WRONLY, 0, &f), -EROFS);
	CHECK_EQ(vfs_open(g_root, "/etc/new", O_CREAT | O_WRONLY, 0644, &f), -EROFS);
	CHECK_EQ(vfs_mkdir(g_root, "/d", 0755), -EROFS);
	CHECK_EQ(vfs_unlink(g_root, "/etc/hostname"), -EROFS);
	CHECK_EQ(vfs_rmdir(g_root, "/srv"), -EROFS);
	CHECK_EQ(vfs_rename(g_root, "/etc", g_root, "/etc2", 0), -EROFS);
	CHECK_EQ(vfs_link(g_root, "/data/f0", g_root, "/f0", 0), -EROFS);
	struct inode *inode = NULL;
	CHECK_EQ(vfs_lookup(g_root, "/usr/bin/tool", 0, &inode), 0);
	CHECK_EQ(vfs_chmod(inode, 0700), -EROFS);
	CHECK_EQ(vfs_chown(inode, 1, 1), -EROFS);
	CHECK_EQ(vfs_truncate(inode, 0), -EROFS);
	inode_put(inode);
}

static const struct host_test g_writable_tests[] = {
	{ "overlay_shows_the_image", test_image_through_overlay },
	{ "overlay_copy_up_one_page", test_copy_up_one_page },
	{ "overlay_deletes_and_renames", test_deletes_and_renames },
	{ "overlay_metadata_and_links", test_metadata_and_links },
	{ "overlay_directories", test_directories },
	{ "overlay_space_limit", test_space_limit },
};

static const struct host_test g_read_only_tests[] = {
	{ "overlay_read_only_shows_the_image", test_image_through_overlay },
	{ "overlay_read_only_refuses_changes", test_read_only_root },
};

/* argv[1]: the golden directory; argv[2] "read-only" runs that set. */
int main(int argc, char **argv)
{
	const char *golden = argc > 1 ? argv[1] : "../tests/golden";
	bool read_only = argc > 2 && strcmp(argv[2], "read-only") == 0;
	if (!setup(golden, read_only)) {
		fprintf(stderr, "cannot mount the overlay over %s\n", golden);
		return 1;
	}
	if (read_only)
		return run_tests(g_read_only_tests,
		                 sizeof(g_read_only_tests) / sizeof(g_read_only_tests[0]), 1, argv);
	return run_tests(g_writable_tests, sizeof(g_writable_tests) / sizeof(g_writable_tests[0]),
	                 1, argv);
}
