/*
 * test_vfs_perm.c: the VFS's permission checks (fs/perm.c and its
 * callers) and the paths open files remember (vfs_file_path), over the
 * golden cvmfs image with tmpfs on /tmp (01777) and /run (0755).
 *
 * The golden image has /data (0750, 1000:1000) holding 0640 files of
 * 1000:1000, /etc/hostname (0644 root), /usr/bin/tool (04755 root) and
 * /bin -> usr/bin. The caller's credentials come from a test hook, as
 * proc/ provides them in the kernel; without a hook the caller is root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "fs/tmpfs.h"
#include "golden.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

static struct golden_image g_golden;
static struct inode *g_root;
static struct vfs_cred g_cred;
static u32 g_groups[4];

static bool setup(const char *golden)
{
	if (!golden_image_load(golden, &g_golden, NULL) || !golden_mount_root(&g_golden))
		return false;
	if (vfs_mount("/tmp", tmpfs_create(01777, 64)) < 0 ||
	    vfs_mount("/run", tmpfs_create(0755, 64)) < 0)
		return false;
	g_root = vfs_root();
	return true;
}

static void cred_hook(struct vfs_cred *out)
{
	*out = g_cred;
}

/* Act as uid:gid with the given supplementary groups from now on. */
static void become(u32 uid, u32 gid, const u32 *groups, u32 count)
{
	if (count > 0)
		memcpy(g_groups, groups, count * sizeof(u32));
	g_cred = (struct vfs_cred){ uid, gid, g_groups, count, 0 }; /* no capabilities */
	vfs_set_cred_hook(cred_hook);
}

static void become_root(void)
{
	vfs_set_cred_hook(NULL);
}

static int open_close(const char *path, u32 flags, u32 mode)
{
	struct file *f = NULL;
	int err = vfs_open(g_root, path, flags, mode, &f);
	if (err == 0)
		file_put(f);
	return err;
}

static int lookup_put(const char *path)
{
	struct inode *inode = NULL;
	int err = vfs_lookup(g_root, path, LOOKUP_FOLLOW, &inode);
	if (err == 0)
		inode_put(inode);
	return err;
}

static void test_search_permission_on_the_walk(void)
{
	static const u32 data_group[] = { 1000 };
	become(2000, 2000, NULL, 0);                   /* "other" for /data */
	CHECK_EQ(lookup_put("/data"), 0);               /* the name itself is in / */
	CHECK_EQ(lookup_put("/data/f1"), -EACCES);      /* no x on /data */
	CHECK_EQ(lookup_put("/data/nope"), -EACCES);    /* not even ENOENT */
	CHECK_EQ(open_close("/data/f1", O_RDONLY, 0), -EACCES);
	CHECK_EQ(open_close("/data", O_RDONLY | O_DIRECTORY, 0), -EACCES); /* no r */
	CHECK_EQ(open_close("/etc/hostname", O_RDONLY, 0), 0);
	CHECK_EQ(lookup_put("/bin/tool"), 0);           /* through a symlink */

	become(2000, 2000, data_group, 1);              /* a supplementary group */
	CHECK_EQ(lookup_put("/data/f1"), 0);
	become(1001, 1000, NULL, 0);                    /* the primary group */
	CHECK_EQ(open_close("/data/f1", O_RDONLY, 0), 0);
	CHECK_EQ(open_close("/data/f1", O_WRONLY, 0), -EROFS); /* the fs says no first */
	become_root();
	CHECK_EQ(lookup_put("/data/f1"), 0);
}

static void test_open_checks_the_mode_bits(void)
{
	become_root();
	CHECK_EQ(open_close("/tmp/secret", O_CREAT | O_WRONLY, 0600), 0);
	CHECK_EQ(open_close("/tmp/public", O_CREAT | O_WRONLY, 0644), 0);
	CHECK_EQ(open_close("/tmp/none", O_CREAT | O_WRONLY, 0), 0);  /* creating needs no bits */
	CHECK_EQ(open_close("/tmp/none", O_RDWR, 0), 0);              /* root: read/write always */
	CHECK_EQ(open_close("/tmp/none", O_PATH, 0), 0);

	become(1000, 1000, NULL, 0);
	CHECK_EQ(open_close("/tmp/secret", O_RDONLY, 0), -EACCES);
	CHECK_EQ(open_close("/tmp/public", O_RDONLY, 0), 0);
	CHECK_EQ(open_close("/tmp/public", O_WRONLY, 0), -EACCES);
	CHECK_EQ(open_close("/tmp/public", O_RDWR, 0), -EACCES);
	CHECK_EQ(open_close("/tmp/public", O_RDONLY | O_TRUNC, 0), -EACCES);
	CHECK_EQ(open_close("/tmp/public", O_WRONLY | O_APPEND, 0), -EACCES);
	CHECK_EQ(open_close("/tmp/public", O_CREAT | O_WRONLY, 0666), -EACCES); /* exists */
	CHECK_EQ(open_close("/tmp/none", O_PATH, 0), 0); /* no content access */
	/* A file the caller creates with mode 0 opens anyway (Linux too). */
	CHECK_EQ(open_close("/tmp/mine", O_CREAT | O_EXCL | O_RDWR, 0), 0);
	CHECK_EQ(open_close("/tmp/mine", O_RDONLY, 0), -EACCES);

	struct file *f = NULL;
	CHECK_EQ(vfs_open(g_root, "/tmp/public", O_RDONLY, 0, &f), 0);
	CHECK_EQ(vfs_open_inode(f->inode, O_WRONLY, &f), -EACCES); /* reopen checks too */
	file_put(f);
	become_root();
	CHECK_EQ(vfs_unlink(g_root, "/tmp/secret"), 0);
	CHECK_EQ(vfs_unlink(g_root, "/tmp/public"), 0);
	CHECK_EQ(vfs_unlink(g_root, "/tmp/none"), 0);
	CHECK_EQ(vfs_unlink(g_root, "/tmp/mine"), 0);
}

static void test_exec_needs_x_but_not_r(void)
{
	struct file *f = NULL;
	become_root();
	CHECK_EQ(open_close("/tmp/prog", O_CREAT | O_WRONLY, 0711), 0);
	CHECK_EQ(vfs_open_exec(g_root, "/etc/hostname", &f), -EACCES); /* root: no x bit */
	CHECK_EQ(vfs_open_exec(g_root, "/tmp", &f), -EISDIR);
	become(1000, 1000, NULL, 0);
	CHECK_EQ(vfs_open_exec(g_root, "/tmp/prog", &f), 0);
	CHECK_EQ(vfs_pread(f, (char[4]){ 0 }, 4, 0), 0); /* the kernel may read it */
	file_put(f);
	CHECK_EQ(open_close("/tmp/prog", O_RDONLY, 0), -EACCES);
	CHECK_EQ(vfs_open_exec(g_root, "/bin/tool", &f), 0);
	file_put(f);
	CHECK_EQ(vfs_open_exec(g_root, "/etc/hostname", &f), -EACCES);
	become_root();
	CHECK_EQ(vfs_unlink(g_root, "/tmp/prog"), 0);
}

static void test_namespace_changes_need_write_and_search(void)
{
	become_root();
	CHECK_EQ(vfs_mkdir(g_root, "/tmp/private", 0700), 0);
	CHECK_EQ(open_close("/tmp/private/f", O_CREAT | O_WRONLY, 0644), 0);

	become(1000, 1000, NULL, 0);
	CHECK_EQ(lookup_put("/tmp/private/f"), -EACCES);
	CHECK_EQ(open_close("/tmp/private/g", O_CREAT | O_WRONLY, 0644), -EACCES);
	CHECK_EQ(vfs_mkdir(g_root, "/tmp/private/d", 0755), -EACCES);
	CHECK_EQ(vfs_unlink(g_root, "/tmp/private/f"), -EACCES);
	CHECK_EQ(vfs_symlink("/x", g_root, "/tmp/private/l"), -EACCES);
	/* /run is 0755 root: searchable, not writable. */
	CHECK_EQ(open_close("/run/new", O_CREAT | O_WRONLY, 0644), -EACCES);
	CHECK_EQ(vfs_mkdir(g_root, "/run/d", 0755), -EACCES);
	CHECK_EQ(lookup_put("/run/new"), -ENOENT);
	/* /tmp is 01777: anyone creates, only the owner removes. */
	CHECK_EQ(open_close("/tmp/by1000", O_CREAT | O_WRONLY, 0666), 0);
	become(3000, 3000, NULL, 0);
	CHECK_EQ(open_close("/tmp/by1000", O_WRONLY, 0), 0);  /* 0666: writable */
	CHECK_EQ(vfs_unlink(g_root, "/tmp/by1000"), -EPERM);
	CHECK_EQ(vfs_rename(g_root, "/tmp/by1000", g_root, "/tmp/stolen", 0), -EPERM);
	become(1000, 1000, NULL, 0);
	CHECK_EQ(vfs_rename(g_root, "/tmp/by1000", g_root, "/tmp/moved", 0), 0);
	CHECK_EQ(vfs_unlink(g_root, "/tmp/moved"), 0);

	become_root();
	CHECK_EQ(vfs_unlink(g_root, "/tmp/private/f"), 0);
	CHECK_EQ(vfs_rmdir(g_root, "/tmp/private"), 0);
}

static void test_only_the_owner_changes_metadata(void)
{
	static const u32 groups[] = { 50 };
	struct inode *inode = NULL;
	become(1000, 1000, groups, 1);
	CHECK_EQ(open_close("/tmp/meta", O_CREAT | O_WRONLY, 0644), 0);
	CHECK_EQ(vfs_lookup(g_root, "/tmp/meta", 0, &inode), 0);
	CHECK_EQ(vfs_chmod(inode, 02755), 0);
	CHECK_EQ(inode->mode & 07777, 02755);           /* its own group */
	CHECK_EQ(vfs_chown(inode, (u32)-1, 50), 0);     /* to one of its groups */
	CHECK_EQ(vfs_chown(inode, (u32)-1, 60), -EPERM);
	CHECK_EQ(vfs_chown(inode, 0, (u32)-1), -EPERM); /* giving it away */
	become_root();
	CHECK_EQ(vfs_chown(inode, (u32)-1, 70), 0);
	become(1000, 1000, groups, 1);
	CHECK_EQ(vfs_chmod(inode, 02755), 0);
	CHECK_EQ(inode->mode & 07777, 0755);            /* setgid dropped: not in 70 */
	become(3000, 3000, NULL, 0);
	CHECK_EQ(vfs_chmod(inode, 0777), -EPERM);
	CHECK_EQ(vfs_chown(inode, 3000, 3000), -EPERM);
	struct ktimespec t = { 1, 0 };
	CHECK_EQ(vfs_set_times(inode, &t, &t), -EPERM); /* 0755: not writable */
	become_root();
	CHECK_EQ(vfs_chown(inode, 3000, 3000), 0);
	CHECK_EQ(inode->uid, 3000);
	inode_put(inode);
	CHECK_EQ(vfs_unlink(g_root, "/tmp/meta"), 0);
}

/* The path vfs_file_path reports for path opened with flags from start. */
static long opened_path(struct inode *start, const char *path, u32 flags, char *buf,
                        size_t size)
{
	struct file *f = NULL;
	int err = vfs_open(start, path, flags, 0644, &f);
	if (err < 0)
		return err;
	long n = vfs_file_path(f, buf, size);
	if (n >= 0 && (size_t)n < size)
		buf[n] = 0;
	file_put(f);
	return n;
}

static void check_path(struct inode *start, const char *path, u32 flags, const char *want)
{
	char buf[256];
	long n = opened_path(start, path, flags, buf, sizeof(buf));
	CHECK_EQ(n, (long)strlen(want));
	if (n >= 0 && strcmp(buf, want) != 0) {
		fprintf(stderr, "  %s opened as %s, want %s\n", path, buf, want);
		g_check_failures++;
	}
}

static void test_open_files_know_their_path(void)
{
	become_root();
	check_path(g_root, "/etc/hostname", O_RDONLY, "/etc/hostname");
	check_path(g_root, "/bin/tool", O_RDONLY, "/usr/bin/tool");          /* symlinked dir */
	check_path(g_root, "//usr/./bin/../bin/tool", O_RDONLY, "/usr/bin/tool");
	check_path(g_root, "/usr/bin/tool-link", O_RDONLY, "/usr/bin/tool-link"); /* hard link */
	check_path(g_root, "/tmp/", O_RDONLY, "/tmp");                        /* a mount */
	check_path(g_root, "/", O_RDONLY, "/");
	check_path(g_root, "/tmp/new", O_CREAT | O_WRONLY, "/tmp/new");
	CHECK_EQ(vfs_symlink("/etc/hostname", g_root, "/tmp/link"), 0);
	CHECK_EQ(vfs_symlink("new", g_root, "/tmp/rel"), 0);
	check_path(g_root, "/tmp/link", O_RDONLY, "/etc/hostname");
	check_path(g_root, "/tmp/rel", O_CREAT | O_RDONLY, "/tmp/new");       /* O_CREAT follows */
	check_path(g_root, "/tmp/link", O_PATH | O_NOFOLLOW, "/tmp/link");

	struct inode *usr = NULL;
	CHECK_EQ(vfs_lookup(g_root, "/usr", 0, &usr), 0);
	check_path(usr, "bin/tool", O_RDONLY, "/usr/bin/tool");              /* relative */
	check_path(usr, "../tmp/new", O_RDONLY, "/tmp/new");
	inode_put(usr);

	/* Like readlink: a short buffer truncates, without a NUL. */
	char small[4];
	CHECK_EQ(opened_path(g_root, "/etc/hostname", O_RDONLY, small, sizeof(small)), 4);
	CHECK(memcmp(small, "/etc", 4) == 0);
	/* A file from nowhere (a pipe) has no path. */
	struct file *pipe = file_alloc(NULL, NULL, O_RDONLY, NULL);
	CHECK_EQ(vfs_file_path(pipe, small, sizeof(small)), -ENOENT);
	file_put(pipe);

	CHECK_EQ(vfs_unlink(g_root, "/tmp/link"), 0);
	CHECK_EQ(vfs_unlink(g_root, "/tmp/rel"), 0);
	CHECK_EQ(vfs_unlink(g_root, "/tmp/new"), 0);
}

static const struct host_test g_tests[] = {
	{ "search_permission_on_the_walk", test_search_permission_on_the_walk },
	{ "open_checks_the_mode_bits", test_open_checks_the_mode_bits },
	{ "exec_needs_x_but_not_r", test_exec_needs_x_but_not_r },
	{ "namespace_changes_need_write_and_search", test_namespace_changes_need_write_and_search },
	{ "only_the_owner_changes_metadata", test_only_the_owner_changes_metadata },
	{ "open_files_know_their_path", test_open_files_know_their_path },
};

int main(int argc, char **argv)
{
	int status = golden_test_main(argc, argv, setup, g_tests,
	                              (int)(sizeof(g_tests) / sizeof(g_tests[0])));
	become_root();
	inode_put(g_root);
	return status;
}
