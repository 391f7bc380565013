/*
 * test_vfs.c: the VFS over the golden cvmfs image as root, with tmpfs
 * mounted on /tmp (exists in the image) and /run (does not): every
 * listed path resolves with the right metadata and content, symlinks,
 * "..", mounts, getdents, and the tmpfs namespace operations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl_hash.h>

#include "check.h"
#include "fixture.h"
#include "fs/tmpfs.h"
#include "mm/page.h"
#include "golden.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

static struct golden_image g_golden;
static struct golden_entry g_entries[64];
static int g_entry_count;
static struct inode *g_root;
static struct fs_super *g_tmp;

static bool setup(const char *golden)
{
	char *json = NULL;
	if (!golden_image_load(golden, &g_golden, &json))
		return false;
	g_entry_count = golden_parse_listing(json, g_entries, 64);
	free(json);
	if (g_entry_count <= 0 || !golden_mount_root(&g_golden))
		return false;
	g_tmp = tmpfs_create(01777, 64);
	if (vfs_mount("/tmp", g_tmp) < 0)
		return false;
	if (vfs_mount("/run", tmpfs_create(0755, 1024)) < 0)
		return false;
	g_root = vfs_root();
	return true;
}

static void test_golden_listing(void)
{
	for (int i = 0; i < g_entry_count; i++) {
		if (strncmp(g_entries[i].path, "/tmp", 4) == 0)
			continue; /* covered by the tmpfs mount */
		golden_check_entry(g_root, &g_entries[i]);
	}
}

static int lookup_ino(const char *path, u32 flags, u64 *ino)
{
	struct inode *inode = NULL;
	int err = vfs_lookup(g_root, path, flags, &inode);
	if (err == 0) {
		*ino = inode->ino;
		inode_put(inode);
	}
	return err;
}

static void test_path_resolution(void)
{
	u64 ino = 0;
	CHECK_EQ(lookup_ino("/bin/tool", LOOKUP_FOLLOW, &ino), 0);   /* via symlink */
	CHECK_EQ(ino, 17);
	CHECK_EQ(lookup_ino("/bin", 0, &ino), 0);
	CHECK_EQ(ino, 2);
	CHECK_EQ(lookup_ino("/bin", LOOKUP_FOLLOW, &ino), 0);
	CHECK_EQ(ino, 16);
	CHECK_EQ(lookup_ino("/bin/", 0, &ino), 0);                   /* trailing slash follows */
	CHECK_EQ(ino, 16);
	CHECK_EQ(lookup_ino("/usr/bin/../../etc/./hostname", 0, &ino), 0);
	CHECK_EQ(ino, 12);
	CHECK_EQ(lookup_ino("/../../..", 0, &ino), 0);
	CHECK_EQ(ino, 1);
	CHECK_EQ(lookup_ino("//usr///bin//tool", 0, &ino), 0);
	CHECK_EQ(lookup_ino("/nope", 0, &ino), -ENOENT);
	CHECK_EQ(lookup_ino("/etc/hostname/x", 0, &ino), -ENOTDIR);
	CHECK_EQ(lookup_ino("/etc/hostname/", 0, &ino), -ENOTDIR);
	CHECK_EQ(lookup_ino("/etc/hostname", LOOKUP_DIRECTORY, &ino), -ENOTDIR);
	CHECK_EQ(lookup_ino("", 0, &ino), -ENOENT);

	char name[300];
	memset(name, 'a', sizeof(name));
	name[0] = '/';
	name[299] = 0;
	CHECK_EQ(lookup_ino(name, 0, &ino), -ENAMETOOLONG);
	char *longpath = malloc(5000);
	memset(longpath, '/', 4999);
	longpath[4999] = 0;
	CHECK_EQ(lookup_ino(longpath, 0, &ino), -ENAMETOOLONG);
	free(longpath);

	/* Relative to a start directory. */
	struct inode *usr = NULL;
	CHECK_EQ(vfs_lookup(g_root, "usr", 0, &usr), 0);
	struct inode *tool = NULL;
	CHECK_EQ(vfs_lookup(usr, "bin/tool", 0, &tool), 0);
	CHECK_EQ(tool->ino, 17);
	inode_put(tool);
	inode_put(usr);
}

static void test_symlink_loops(void)
{
	u64 ino = 0;
	CHECK_EQ(vfs_symlink("loop2", g_root, "/tmp/loop1"), 0);
	CHECK_EQ(vfs_symlink("loop1", g_root, "/tmp/loop2"), 0);
	CHECK_EQ(lookup_ino("/tmp/loop1", LOOKUP_FOLLOW, &ino), -ELOOP);
	CHECK_EQ(lookup_ino("/tmp/loop1", 0, &ino), 0);
	/* A chain of 40 links resolves, 41 does not. */
	char name[64], target[64];
	CHECK_EQ(vfs_mkdir(g_root, "/tmp/chain", 0755), 0);
	for (int i = 0; i < 41; i++) {
		snprintf(name, sizeof(name), "/tmp/chain/l%d", i);
		if (i == 0)
			snprintf(target, sizeof(target), "/etc/hostname");
		else
			snprintf(target, sizeof(target), "l%d", i - 1);
		CHECK_EQ(vfs_symlink(target, g_root, name), 0);
	}
	CHECK_EQ(lookup_ino("/tmp/chain/l39", LOOKUP_FOLLOW, &ino), 0);
	CHECK_EQ(ino, 12);
	CHECK_EQ(lookup_ino("/tmp/chain/l40", LOOKUP_FOLLOW, &ino), -ELOOP);
	/* Absolute symlink out of tmpfs into cvmfs, then "..". */
	CHECK_EQ(vfs_symlink("/usr/bin", g_root, "/tmp/ub"), 0);
	CHECK_EQ(lookup_ino("/tmp/ub/../bin/tool", 0, &ino), 0);
	CHECK_EQ(ino, 17);
}

static void test_read_only_root(void)
{
	struct file *f = NULL;
	CHECK_EQ(vfs_open(g_root, "/etc/hostname", O_WRONLY, 0, &f), -EROFS);
	CHECK_EQ(vfs_open(g_root, "/etc/new", O_CREAT | O_WRONLY, 0644, &f), -EROFS);
	CHECK_EQ(vfs_open(g_root, "/etc", O_RDWR, 0, &f), -EISDIR);
	CHECK_EQ(vfs_mkdir(g_root, "/etc/d", 0755), -EROFS);
	CHECK_EQ(vfs_mkdir(g_root, "/etc", 0755), -EEXIST);
	CHECK_EQ(vfs_unlink(g_root, "/etc/hostname"), -EROFS);
	CHECK_EQ(vfs_rmdir(g_root, "/srv"), -EROFS);
	CHECK_EQ(vfs_rename(g_root, "/etc/hostname", g_root, "/etc/h2", 0), -EROFS);
	CHECK_EQ(vfs_rename(g_root, "/etc/hostname", g_root, "/tmp/h2", 0), -EROFS);
	CHECK_EQ(vfs_symlink("x", g_root, "/etc/l"), -EROFS);
	CHECK_EQ(vfs_open(g_root, "/etc/hostname", O_RDONLY | O_DIRECTORY, 0, &f), -ENOTDIR);
	CHECK_EQ(vfs_open(g_root, "/bin", O_RDONLY | O_NOFOLLOW, 0, &f), -ELOOP);
	CHECK_EQ(vfs_open(g_root, "/bin", O_PATH | O_NOFOLLOW, 0, &f), 0);
	char c;
	CHECK_EQ(vfs_read(f, &c, 1), -EBADF);
	file_put(f);
	CHECK_EQ(vfs_open(g_root, "/etc/hostname", O_RDONLY, 0, &f), 0);
	CHECK_EQ(vfs_write(f, "x", 1), -EBADF);
	void *mapped = NULL;
	CHECK_EQ(vfs_get_page(f, 0, true, &mapped), -EACCES); /* O_RDONLY */
	CHECK_EQ(vfs_get_page(f, 0, false, &mapped), 0);
	u8 *page = mapped;
	u8 head[7];
	CHECK_EQ(vfs_pread(f, head, sizeof(head), 0), 7);
	CHECK_EQ(memcmp(page, head, sizeof(head)), 0);
	CHECK_EQ(page[7], 0);          /* zero past EOF (7-byte file) */
	CHECK_EQ(page[4095], 0);
	CHECK_EQ(page_refcount(page), 1); /* a private copy, not a cache page */
	page_put(page);
	CHECK_EQ(vfs_lseek(f, 0, SEEK_END), 7);
	CHECK_EQ(vfs_lseek(f, -8, SEEK_END), -EINVAL);
	file_put(f);
}

/* Collect the names of a directory via getdents64, in a small buffer. */
static int list_dir(const char *path, char names[][64], int max)
{
	struct file *f = NULL;
	if (vfs_open(g_root, path, O_RDONLY | O_DIRECTORY, 0, &f) < 0)
		return -1;
	u8 buf[300]; /* small on purpose: several calls (one 255-byte name) */
	int count = 0;
	for (;;) {
		long n = vfs_getdents64(f, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (long pos = 0; pos < n;) {
			u16 reclen;
			memcpy(&reclen, buf + pos + 16, 2);
			if (count < max)
				snprintf(names[count], 64, "%s", (char *)buf + pos + 19);
			count++;
			pos += reclen;
		}
	}
	file_put(f);
	return count;
}

static void test_getdents(void)
{
	char names[32][64];
	int n = list_dir("/data", names, 32);
	CHECK_EQ(n, 9); /* ".", "..", 7 files */
	CHECK(strcmp(names[0], ".") == 0);
	CHECK(strcmp(names[1], "..") == 0);
	CHECK(strcmp(names[3], "f0") == 0);
	n = list_dir("/srv", names, 32);
	CHECK_EQ(n, 2);
	/* /run is a mount point missing from the image: listed once, at the end. */
	n = list_dir("/", names, 32);
	int runs = 0, tmps = 0;
	for (int i = 0; i < n && i < 32; i++) {
		runs += strcmp(names[i], "run") == 0;
		tmps += strcmp(names[i], "tmp") == 0;
	}
	CHECK_EQ(runs, 1);
	CHECK_EQ(tmps, 1);
	CHECK(n <= 32 && strcmp(names[n - 1], "run") == 0);
	struct file *f = NULL;
	CHECK_EQ(vfs_open(g_root, "/data", O_RDONLY, 0, &f), 0);
	u8 tiny[16];
	CHECK_EQ(vfs_getdents64(f, tiny, sizeof(tiny)), -EINVAL);
	file_put(f);
	/* The first entry of /data has a 255-byte name: 280-byte record. */
	CHECK_EQ(vfs_open(g_root, "/data", O_RDONLY, 0, &f), 0);
	u8 buf[279];
	CHECK_EQ(vfs_getdents64(f, buf, sizeof(buf)), 48);  /* "." and ".." */
	CHECK_EQ(vfs_getdents64(f, buf, sizeof(buf)), -EINVAL);
	file_put(f);
}

static void test_mounts(void)
{
	u64 ino = 0;
	CHECK_EQ(lookup_ino("/run", 0, &ino), 0);      /* not in the image */
	CHECK_EQ(lookup_ino("/run/..", 0, &ino), 0);
	CHECK_EQ(ino, 1);
	CHECK_EQ(lookup_ino("/tmp/../etc/hostname", 0, &ino), 0);
	CHECK_EQ(ino, 12);
	CHECK_EQ(vfs_rmdir(g_root, "/tmp"), -EBUSY);
	CHECK_EQ(vfs_mkdir(g_root, "/run/a", 0700), 0);
	CHECK_EQ(vfs_rename(g_root, "/run/a", g_root, "/tmp/a", 0), -EXDEV);

	char cwd[256];
	struct inode *dir = NULL;
	CHECK_EQ(vfs_lookup(g_root, "/run/a", 0, &dir), 0);
	CHECK_EQ(vfs_getcwd(dir, cwd, sizeof(cwd)), 6);
	CHECK(strcmp(cwd, "/run/a") == 0);
	CHECK_EQ(vfs_getcwd(dir, cwd, 4), -ERANGE);
	inode_put(dir);
	CHECK_EQ(vfs_lookup(g_root, "/usr/bin", 0, &dir), 0);
	CHECK_EQ(vfs_getcwd(dir, cwd, sizeof(cwd)), 8);
	CHECK(strcmp(cwd, "/usr/bin") == 0);
	inode_put(dir);
	CHECK_EQ(vfs_getcwd(g_root, cwd, sizeof(cwd)), 1);
	CHECK(strcmp(cwd, "/") == 0);
}

static void test_tmpfs_files(void)
{
	struct file *f = NULL;
	CHECK_EQ(vfs_open(g_root, "/tmp/f", O_CREAT | O_RDWR | O_EXCL, 0600, &f), 0);
	CHECK_EQ(vfs_write(f, "hello", 5), 5);
	CHECK_EQ(vfs_pwrite(f, "XY", 2, 10000), 2); /* sparse */
	CHECK_EQ(f->inode->size, 10002);
	char buf[16];
	CHECK_EQ(vfs_pread(f, buf, 5, 0), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK_EQ(vfs_pread(f, buf, 4, 5000), 4);
	CHECK(memcmp(buf, "\0\0\0\0", 4) == 0);
	CHECK_EQ(vfs_pread(f, buf, 16, 9999), 3);
	CHECK(memcmp(buf, "\0XY", 3) == 0);
	CHECK_EQ(vfs_ftruncate(f, 3), 0);
	CHECK_EQ(vfs_ftruncate(f, 8), 0);
	CHECK_EQ(vfs_pread(f, buf, 16, 0), 8);
	CHECK(memcmp(buf, "hel\0\0\0\0\0", 8) == 0);
	file_put(f);

	struct file *g = NULL;
	CHECK_EQ(vfs_open(g_root, "/tmp/f", O_CREAT | O_EXCL | O_RDWR, 0600, &g), -EEXIST);
	CHECK_EQ(vfs_open(g_root, "/tmp/f", O_WRONLY | O_APPEND, 0, &g), 0);
	CHECK_EQ(vfs_write(g, "!", 1), 1);
	CHECK_EQ(g->inode->size, 9);
	file_put(g);
	CHECK_EQ(vfs_open(g_root, "/tmp/f", O_RDWR | O_TRUNC, 0, &g), 0);
	CHECK_EQ(g->inode->size, 0);

	/* Unlinked while open: still readable, freed on the last close. */
	CHECK_EQ(vfs_write(g, "data", 4), 4);
	CHECK_EQ(vfs_unlink(g_root, "/tmp/f"), 0);
	CHECK_EQ(vfs_pread(g, buf, 4, 0), 4);
	CHECK(memcmp(buf, "data", 4) == 0);
	u64 ino = 0;
	CHECK_EQ(lookup_ino("/tmp/f", 0, &ino), -ENOENT);
	file_put(g);
	CHECK_EQ(tmpfs_pages_used(g_tmp), 0);
}

static void test_tmpfs_space_limit(void)
{
	struct file *f = NULL;
	CHECK_EQ(vfs_open(g_root, "/tmp/big", O_CREAT | O_RDWR, 0600, &f), 0);
	static u8 chunk[4096 * 8];
	long total = 0;
	for (int i = 0; i < 20; i++) {
		long n = vfs_write(f, chunk, sizeof(chunk));
		if (n < 0) {
			CHECK_EQ(n, -ENOSPC);
			break;
		}
		total += n;
	}
	CHECK_EQ(total, 64 * 4096);                 /* the limit given at create */
	struct kstatfs st;
	vfs_statfs(f->inode, &st);
	CHECK_EQ(st.blocks, 64);
	CHECK_EQ(st.blocks_free, 0);
	CHECK_EQ(st.type, 0x01021994);
	CHECK_EQ(vfs_ftruncate(f, 0), 0);
	CHECK_EQ(tmpfs_pages_used(g_tmp), 0);
	vfs_statfs(f->inode, &st);
	CHECK_EQ(st.blocks_free, 64);
	vfs_statfs(g_root, &st);
	CHECK(st.read_only);
	CHECK_EQ(st.blocks, 12);
	/* Sparse growth costs nothing. */
	CHECK_EQ(vfs_ftruncate(f, 1ULL << 33), 0);
	CHECK_EQ(tmpfs_pages_used(g_tmp), 0);
	file_put(f);
	CHECK_EQ(vfs_unlink(g_root, "/tmp/big"), 0);
}

static void test_tmpfs_dirs_and_rename(void)
{
	u64 ino = 0, ino2 = 0;
	struct file *f = NULL;
	CHECK_EQ(vfs_mkdir(g_root, "/tmp/d", 0755), 0);
	CHECK_EQ(vfs_mkdir(g_root, "/tmp/d", 0755), -EEXIST);
	CHECK_EQ(vfs_mkdir(g_root, "/tmp/d/e", 0755), 0);
	CHECK_EQ(vfs_open(g_root, "/tmp/d/e/file", O_CREAT | O_WRONLY, 0644, &f), 0);
	file_put(f);
	CHECK_EQ(vfs_rmdir(g_root, "/tmp/d"), -ENOTEMPTY);
	CHECK_EQ(vfs_rmdir(g_root, "/tmp/d/e/file"), -ENOTDIR);
	CHECK_EQ(vfs_unlink(g_root, "/tmp/d/e"), -EISDIR);
	CHECK_EQ(vfs_rename(g_root, "/tmp/d", g_root, "/tmp/d/e/inside", 0), -EINVAL);

	CHECK_EQ(lookup_ino("/tmp/d/e/file", 0, &ino), 0);
	CHECK_EQ(vfs_rename(g_root, "/tmp/d/e", g_root, "/tmp/e2", 0), 0);
	CHECK_EQ(lookup_ino("/tmp/e2/file", 0, &ino2), 0);
	CHECK_EQ(ino, ino2);
	CHECK_EQ(lookup_ino("/tmp/e2/..", 0, &ino2), 0);
	CHECK_EQ(lookup_ino("/tmp", 0, &ino), 0);
	CHECK_EQ(ino, ino2);

	/* Replace a file; NOREPLACE refuses. */
	CHECK_EQ(vfs_open(g_root, "/tmp/e2/other", O_CREAT | O_WRONLY, 0644, &f), 0);
	file_put(f);
	CHECK_EQ(vfs_rename(g_root, "/tmp/e2/file", g_root, "/tmp/e2/other", RENAME_NOREPLACE),
	         -EEXIST);
	CHECK_EQ(lookup_ino("/tmp/e2/file", 0, &ino), 0);
	CHECK_EQ(vfs_rename(g_root, "/tmp/e2/file", g_root, "/tmp/e2/other", 0), 0);
	CHECK_EQ(lookup_ino("/tmp/e2/other", 0, &ino2), 0);
	CHECK_EQ(ino, ino2);
	CHECK_EQ(lookup_ino("/tmp/e2/file", 0, &ino), -ENOENT);
	CHECK_EQ(vfs_rename(g_root, "/tmp/e2/other", g_root, "/tmp/d", 0), -EISDIR);
	CHECK_EQ(vfs_rename(g_root, "/tmp/e2", g_root, "/tmp/d", 0), 0); /* empty dir */
	CHECK_EQ(lookup_ino("/tmp/d/other", 0, &ino), 0);

	struct inode *d = NULL;
	CHECK_EQ(vfs_lookup(g_root, "/tmp/d", 0, &d), 0);
	CHECK_EQ(d->nlink, 2);
	inode_put(d);
	CHECK_EQ(vfs_unlink(g_root, "/tmp/d/other"), 0);
	CHECK_EQ(vfs_rmdir(g_root, "/tmp/d"), 0);

	/* A removed directory held as cwd: creating inside it fails. */
	CHECK_EQ(vfs_mkdir(g_root, "/tmp/gone", 0755), 0);
	CHECK_EQ(vfs_lookup(g_root, "/tmp/gone", 0, &d), 0);
	CHECK_EQ(vfs_rmdir(g_root, "/tmp/gone"), 0);
	CHECK_EQ(vfs_open(d, "x", O_CREAT | O_WRONLY, 0644, &f), -ENOENT);
	inode_put(d);
}

static void cred_1000(struct vfs_cred *out)
{
	out->uid = 1000;
	out->gid = 1001;
}

static void test_new_files_belong_to_the_caller(void)
{
	struct file *f = NULL;
	vfs_set_cred_hook(cred_1000);
	CHECK_EQ(vfs_open(g_root, "/tmp/mine", O_CREAT | O_WRONLY, 0600, &f), 0);
	vfs_set_cred_hook(NULL);
	CHECK_EQ(f->inode->uid, 1000);
	CHECK_EQ(f->inode->gid, 1001);
	CHECK_EQ(f->inode->mode, S_IFREG | 0600);
	struct vfs_cred owner = { .uid = 1000, .gid = 1001 };
	struct vfs_cred other = { .uid = 1002, .gid = 1002 };
	CHECK_EQ(vfs_access(f->inode, R_OK | W_OK, &owner), 0);
	CHECK_EQ(vfs_access(f->inode, R_OK, &other), -EACCES);
	struct ktimespec t = { 12345, 6 };
	CHECK_EQ(vfs_set_times(f->inode, NULL, &t), 0);
	CHECK_EQ(f->inode->mtime.sec, 12345);
	CHECK_EQ(vfs_chown(f->inode, (u32)-1, 7), 0);
	CHECK_EQ(f->inode->uid, 1000);
	CHECK_EQ(f->inode->gid, 7);
	CHECK_EQ(vfs_set_times(g_root, &t, &t), -EROFS);
	CHECK_EQ(vfs_chown(g_root, 1, 1), -EROFS);
	file_put(f);
	CHECK_EQ(vfs_unlink(g_root, "/tmp/mine"), 0);
	/* O_TMPFILE is refused in a way callers recognise (not EISDIR on /tmp). */
	CHECK_EQ(vfs_open(g_root, "/tmp", O_TMPFILE | O_RDWR, 0600, &f), -EOPNOTSUPP);
}

/* The d_type getdents64 reports for name in dir, or -1. */
static int dirent_type(const char *dir, const char *name)
{
	struct file *f = NULL;
	if (vfs_open(g_root, dir, O_RDONLY | O_DIRECTORY, 0, &f) < 0)
		return -1;
	u8 buf[512];
	int type = -1;
	long n;
	while ((n = vfs_getdents64(f, buf, sizeof(buf))) > 0) {
		for (long pos = 0; pos < n;) {
			u16 reclen;
			memcpy(&reclen, buf + pos + 16, 2);
			if (strcmp((char *)buf + pos + 19, name) == 0)
				type = buf[pos + 18];
			pos += reclen;
		}
	}
	file_put(f);
	return type;
}

/* Named FIFOs in tmpfs: a node with no data. Opening one needs the
 * process layer's pipe (proc/fifo.c), which host tests do not have:
 * -ENXIO, while O_PATH (no open) works. */
static void test_fifo_nodes(void)
{
	CHECK_EQ(vfs_mknod(g_root, "/tmp/p", S_IFIFO | 0640), 0);
	CHECK_EQ(vfs_mknod(g_root, "/tmp/p", S_IFIFO | 0640), -EEXIST);
	CHECK_EQ(vfs_mknod(g_root, "/tmp/c", S_IFCHR | 0600), -EPERM);
	CHECK_EQ(vfs_mknod(g_root, "/data/p", S_IFIFO | 0600), -EROFS);
	struct inode *inode = NULL;
	CHECK_EQ(vfs_lookup(g_root, "/tmp/p", 0, &inode), 0);
	struct kstat st;
	vfs_stat(inode, &st);
	CHECK_EQ(st.mode, S_IFIFO | 0640);
	CHECK_EQ(st.size, 0);
	inode_put(inode);
	CHECK_EQ(dirent_type("/tmp", "p"), DT_FIFO);
	struct file *f = NULL;
	CHECK_EQ(vfs_open(g_root, "/tmp/p", O_RDONLY, 0, &f), -ENXIO);
	CHECK_EQ(vfs_open(g_root, "/tmp/p", O_PATH, 0, &f), 0);
	file_put(f);
	CHECK_EQ(vfs_unlink(g_root, "/tmp/p"), 0);
}

static const struct host_test g_tests[] = {
	{ "new_files_belong_to_the_caller", test_new_files_belong_to_the_caller },
	{ "golden_listing", test_golden_listing },
	{ "path_resolution", test_path_resolution },
	{ "symlink_loops", test_symlink_loops },
	{ "read_only_root", test_read_only_root },
	{ "getdents", test_getdents },
	{ "mounts", test_mounts },
	{ "tmpfs_files", test_tmpfs_files },
	{ "tmpfs_space_limit", test_tmpfs_space_limit },
	{ "tmpfs_dirs_and_rename", test_tmpfs_dirs_and_rename },
	{ "fifo_nodes", test_fifo_nodes },
};

int main(int argc, char **argv)
{
	int status = golden_test_main(argc, argv, setup, g_tests,
	                              (int)(sizeof(g_tests) / sizeof(g_tests[0])));
	inode_put(g_root);
	return status;
}
