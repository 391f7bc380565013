/*
 * test_volfs.c: persistent volumes through the VFS, over memory devices:
 * the golden volume (written by cvmify/volume/) reads back as described;
 * what the kernel writes survives a remount; a crash at any block write
 * of a commit leaves exactly the old or the new state; a full volume
 * gives -ENOSPC and recovers; tampered blocks fail. With
 * VOLFS_EXPORT=DIR, export_for_python writes a kernel-made volume there
 * for tests/test_volume_kernel.py to read with the Python reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl_hash.h>

#include "check.h"
#include "fixture.h"
#include "fs/volfs.h"
#include "fs/volfs_fs.h"
#include "golden.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "voldev.h"

static struct golden_image g_image;
static struct golden_volume g_vol;
static struct inode *g_root;
static int g_mounts;
static const u8 g_key[VOLFS_KEY_SIZE] = { 7, 7, 7, 7, 1, 2, 3, 4 };

/* ---- helpers ---- */

/* Devices mounted in the VFS live until the end (the VFS keeps them). */
static struct voldev *g_kept[32];
static int g_kept_count;

static struct voldev *keep(struct voldev d)
{
	struct voldev *p = malloc(sizeof(*p));
	*p = d;
	g_kept[g_kept_count++] = p;
	return p;
}

/* Mount d at a fresh /vN; returns the path (static buffer per call site). */
static struct fs_super *mount_at(struct voldev *d, const struct volfs_state *st, bool ro,
                                 char path[16])
{
	struct volfs_dev dev = voldev_dev(d);
	struct fs_super *sb = NULL;
	int err = volfs_mount(&dev, g_key, st, ro, &sb);
	if (err < 0) {
		fprintf(stderr, "  volfs_mount: %d\n", err);
		return NULL;
	}
	snprintf(path, 16, "/v%d", g_mounts++);
	CHECK_EQ(vfs_mount(path, sb), 0);
	return sb;
}

static void pattern(u32 seed, u8 *buf, size_t size)
{
	u32 x = seed * 2654435761u + 1;
	for (size_t i = 0; i < size; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (u8)(x >> 16);
	}
}

static char *at(const char *mount, const char *rel)
{
	static char buf[8][512];
	static int next;
	char *out = buf[next++ % 8];
	snprintf(out, 512, "%s%s", mount, rel);
	return out;
}

static int put_file(const char *path, const u8 *data, size_t size)
{
	struct file *f;
	int err = vfs_open(g_root, path, O_CREAT | O_WRONLY | O_TRUNC, 0644, &f);
	if (err < 0)
		return err;
	size_t done = 0;
	while (done < size) {
		long n = vfs_write(f, data + done, MIN(size - done, (size_t)100000));
		if (n <= 0) {
			file_put(f);
			return n < 0 ? (int)n : -EIO;
		}
		done += (size_t)n;
	}
	file_put(f);
	return 0;
}

/* The whole file at path, or NULL; *size its length. */
static u8 *get_file(const char *path, size_t *size)
{
	struct file *f;
	if (vfs_open(g_root, path, O_RDONLY, 0, &f) < 0)
		return NULL;
	size_t cap = 1 << 16, got = 0;
	u8 *buf = malloc(cap);
	for (;;) {
		if (got == cap)
			buf = realloc(buf, cap *= 2);
		long n = vfs_read(f, buf + got, cap - got);
		if (n < 0) {
			free(buf);
			file_put(f);
			return NULL;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	file_put(f);
	*size = got;
	return buf;
}

static bool same_file(const char *path, const u8 *data, size_t size)
{
	size_t got = 0;
	u8 *buf = get_file(path, &got);
	bool same = buf != NULL && got == size && memcmp(buf, data, size) == 0;
	free(buf);
	return same;
}

static int sync_mount(const char *path)
{
	struct inode *inode;
	int err = vfs_lookup(g_root, path, LOOKUP_FOLLOW, &inode);
	if (err < 0)
		return err;
	err = vfs_syncfs(inode);
	inode_put(inode);
	return err;
}

/* ---- a digest of a whole tree, through the inode operations only ---- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void digest_inode(struct inode *inode, br_sha256_context *h, int depth);

static void digest_dir(struct inode *dir, br_sha256_context *h, int depth)
{
	char *names[512];
	int count = 0;
	u64 cookie = 0;
	struct vfs_dirent de;
	while (count < 512 && dir->iops->iterate(dir, &cookie, &de) == 1)
		names[count++] = strdup(de.name);
	qsort(names, (size_t)count, sizeof(names[0]), cmp_names);
	for (int i = 0; i < count; i++) {
		struct inode *child;
		br_sha256_update(h, names[i], strlen(names[i]) + 1);
		if (dir->iops->lookup(dir, names[i], strlen(names[i]), &child) == 0) {
			digest_inode(child, h, depth + 1);
			inode_put(child);
		} else {
			br_sha256_update(h, "?", 1);
		}
		free(names[i]);
	}
}

static void digest_inode(struct inode *inode, br_sha256_context *h, int depth)
{
	u64 meta[4] = { inode->mode, inode->size, inode->nlink, inode->uid };
	br_sha256_update(h, meta, sizeof(meta));
	if (inode_is_dir(inode) && depth < 16) {
		digest_dir(inode, h, depth);
	} else if (inode_is_reg(inode)) {
		struct file f = { .refcount = 1, .inode = inode, .ops = inode->fops };
		u8 buf[8192];
		for (u64 off = 0; off < inode->size;) {
			long n = inode->fops->read(&f, buf, sizeof(buf), off);
			if (n <= 0) {
				br_sha256_update(h, "EIO", 3);
				break;
			}
			br_sha256_update(h, buf, (size_t)n);
			off += (u64)n;
		}
	} else if (inode_is_link(inode)) {
		char target[4096];
		long n = inode->iops->readlink(inode, target, sizeof(target));
		br_sha256_update(h, target, n > 0 ? (size_t)n : 0);
	}
}

static void tree_digest(struct fs_super *sb, u8 out[32])
{
	br_sha256_context h;
	br_sha256_init(&h);
	digest_inode(sb->root, &h, 0);
	br_sha256_out(&h, out);
}

/* Mount d outside the VFS tree (crash tests remount many times). */
static struct fs_super *open_dev(struct voldev *d, const struct volfs_state *st, bool ro, int *err)
{
	struct volfs_dev dev = voldev_dev(d);
	struct fs_super *sb = NULL;
	*err = volfs_mount(&dev, g_key, st, ro, &sb);
	return *err == 0 ? sb : NULL;
}

/* ---- tests ---- */

static void test_volume_golden_listing(void)
{
	static struct golden_entry entries[256];
	int count = golden_parse_listing(g_vol.json, entries, 256);
	CHECK_EQ(count, 165);
	struct volfs_dev dev = voldev_dev(&g_vol.dev);
	struct fs_super *sb = NULL;
	u8 golden_key[VOLFS_KEY_SIZE];
	memcpy(golden_key, g_vol.key, sizeof(golden_key));
	CHECK_EQ(volfs_mount(&dev, golden_key, &g_vol.state, true, &sb), 0);
	if (sb == NULL)
		return;
	CHECK_EQ(vfs_mount("/golden", sb), 0);
	for (int i = 0; i < count; i++) {
		const struct golden_entry *e = &entries[i];
		struct inode *inode = NULL;
		int err = vfs_lookup(g_root, at("/golden", e->path), 0, &inode);
		CHECK_EQ(err, 0);
		if (err < 0)
			continue;
		struct kstat st;
		vfs_stat(inode, &st);
		CHECK_EQ(st.ino, e->inode);
		CHECK_EQ(st.mode, e->mode);
		CHECK_EQ(st.uid, e->uid);
		CHECK_EQ(st.gid, e->gid);
		CHECK_EQ(st.nlink, e->nlink);
		CHECK_EQ(st.mtime.sec, e->mtime);
		if (inode_is_reg(inode)) {
			size_t size = 0;
			u8 *data = get_file(at("/golden", e->path), &size);
			CHECK(data != NULL);
			br_sha256_context h;
			u8 digest[32];
			char hex[65];
			br_sha256_init(&h);
			br_sha256_update(&h, data, size);
			br_sha256_out(&h, digest);
			for (int k = 0; k < 32; k++)
				sprintf(hex + 2 * k, "%02x", digest[k]);
			CHECK(strcmp(hex, e->sha256) == 0);
			CHECK_EQ(size, e->size);
			free(data);
		} else if (inode_is_link(inode)) {
			char target[256];
			long n = vfs_readlink(g_root, at("/golden", e->path), target, sizeof(target));
			CHECK(n > 0 && (size_t)n == strlen(e->target) && memcmp(target, e->target, (size_t)n) == 0);
		}
		inode_put(inode);
	}
	struct file *f;
	CHECK_EQ(vfs_open(g_root, "/golden/etc/new", O_CREAT | O_WRONLY, 0644, &f), -EROFS);
}

static void test_volume_files_persist(void)
{
	struct volfs_state first, second;
	struct voldev *d = keep(voldev_mkfs(4096, g_key, &first));
	char m[16];
	struct fs_super *sb = mount_at(d, &first, false, m);
	if (sb == NULL)
		return;
	size_t big_size = 700 * 1024 + 123; /* depth 2 */
	u8 *big = malloc(big_size);
	pattern(1, big, big_size);
	CHECK_EQ(vfs_mkdir(g_root, at(m, "/d"), 0750), 0);
	CHECK_EQ(put_file(at(m, "/d/big"), big, big_size), 0);
	CHECK_EQ(put_file(at(m, "/small"), (const u8 *)"hello", 5), 0);
	CHECK_EQ(put_file(at(m, "/gone"), (const u8 *)"x", 1), 0);
	CHECK_EQ(vfs_symlink("d/big", g_root, at(m, "/link")), 0);
	CHECK_EQ(vfs_rename(g_root, at(m, "/small"), g_root, at(m, "/d/renamed"), 0), 0);
	CHECK_EQ(vfs_unlink(g_root, at(m, "/gone")), 0);
	CHECK_EQ(vfs_mkdir(g_root, at(m, "/d/sub"), 0700), 0);
	CHECK_EQ(vfs_rmdir(g_root, at(m, "/d")), -ENOTEMPTY);
	/* The volume format has no FIFOs (docs/volume-format.md). */
	CHECK_EQ(vfs_mknod(g_root, at(m, "/fifo"), S_IFIFO | 0600), -EPERM);
	CHECK_EQ(sync_mount(m), 0);
	volfs_state_of(sb, &second);
	CHECK(second.generation > first.generation);

	/* A second mount of the committed bytes sees all of it. */
	struct voldev *copy = keep(voldev_copy(d));
	char m2[16];
	struct fs_super *sb2 = mount_at(copy, &second, true, m2);
	CHECK(sb2 != NULL);
	CHECK(same_file(at(m2, "/d/big"), big, big_size));
	CHECK(same_file(at(m2, "/link"), big, big_size));
	CHECK(same_file(at(m2, "/d/renamed"), (const u8 *)"hello", 5));
	struct inode *inode = NULL;
	CHECK_EQ(vfs_lookup(g_root, at(m2, "/gone"), 0, &inode), -ENOENT);
	CHECK_EQ(vfs_lookup(g_root, at(m2, "/d"), 0, &inode), 0);
	if (inode != NULL) {
		CHECK_EQ(inode->nlink, 3);
		CHECK_EQ(inode->mode, 040750);
		inode_put(inode);
	}
	u8 a[32], b[32];
	tree_digest(sb, a);
	tree_digest(sb2, b);
	CHECK(memcmp(a, b, 32) == 0);
	/* The old state is gone for good: its root is refused. */
	struct voldev old = voldev_copy(d);
	int err;
	CHECK(open_dev(&old, &first, true, &err) == NULL);
	CHECK_EQ(err, -EACCES);
	voldev_free(&old);
	free(big);
}

/* The changes a crash test makes after its base state. */
static void crash_changes(struct fs_super *sb)
{
	struct inode *root = sb->root;
	struct inode *f = NULL;
	u8 data[20000];
	pattern(9, data, sizeof(data));
	if (root->iops->create(root, "new", 3, 0600, &f) == 0) {
		struct file file = { .refcount = 1, .inode = f, .ops = f->fops };
		f->fops->write(&file, data, sizeof(data), 0);
		inode_put(f);
	}
	if (root->iops->lookup(root, "base", 4, &f) == 0) {
		struct file file = { .refcount = 1, .inode = f, .ops = f->fops };
		f->fops->write(&file, data, 5000, 100000);
		inode_put(f);
	}
	root->iops->unlink(root, "victim", 6);
	root->iops->rename(root, "dir", 3, root, "moved", 5, 0);
}

static struct voldev crash_base(struct volfs_state *base)
{
	struct volfs_state first;
	struct voldev d = voldev_mkfs(1024, g_key, &first);
	int err;
	struct fs_super *sb = open_dev(&d, &first, false, &err);
	CHECK_EQ(err, 0);
	struct inode *root = sb->root, *f;
	u8 data[200000];
	pattern(3, data, sizeof(data));
	CHECK_EQ(root->iops->create(root, "base", 4, 0644, &f), 0);
	struct file file = { .refcount = 1, .inode = f, .ops = f->fops };
	CHECK_EQ(f->fops->write(&file, data, sizeof(data), 0), (long)sizeof(data));
	inode_put(f);
	CHECK_EQ(root->iops->create(root, "victim", 6, 0644, &f), 0);
	inode_put(f);
	CHECK_EQ(root->iops->mkdir(root, "dir", 3, 0755), 0);
	volfs_unmount(sb, true);
	struct fs_super *again = open_dev(&d, NULL, true, &err);
	volfs_state_of(again, base);
	volfs_unmount(again, false);
	return d;
}

static void test_volume_crash_anywhere(void)
{
	struct volfs_state base;
	struct voldev d = crash_base(&base);
	u8 before[32], after[32];
	int err;

	/* The two states a crash may leave. */
	struct voldev full = voldev_copy(&d);
	struct fs_super *sb = open_dev(&full, &base, false, &err);
	tree_digest(sb, before);
	crash_changes(sb);
	tree_digest(sb, after);
	u64 events_before = full.writes + full.flushes;
	volfs_unmount(sb, true);
	u64 commit_writes = full.writes + full.flushes - events_before; /* writes and flushes */
	CHECK(commit_writes > 5);
	CHECK(memcmp(before, after, 32) != 0);
	voldev_free(&full);

	int saw_old = 0, saw_new = 0, bad = 0;
	/* k = commit_writes: the crash comes after the commit (a control).
	 * mode 0, 1: a torn or a whole last block; 2..5: a volatile cache
	 * that loses the even, the odd, all or none of the unflushed writes. */
	for (u64 k = 0; k <= commit_writes; k++) {
		for (int mode = 0; mode < 6; mode++) {
			struct voldev run = voldev_copy(&d);
			sb = open_dev(&run, &base, false, &err);
			crash_changes(sb);
			run.crash_after = (long)k;
			run.tear = mode == 0;
			run.cache = mode >= 2;
			run.survivors = mode - 2;
			volfs_unmount(sb, true); /* the commit, cut short at block k */
			run.crashed = false;
			run.crash_after = -1;
			struct fs_super *next = open_dev(&run, NULL, false, &err);
			u8 now[32];
			if (next == NULL) {
				bad++;
			} else {
				tree_digest(next, now);
				if (memcmp(now, before, 32) == 0)
					saw_old++;
				else if (memcmp(now, after, 32) == 0)
					saw_new++;
				else
					bad++;
				volfs_unmount(next, true);
			}
			voldev_free(&run);
		}
	}
	if (getenv("CVMIFY_HOST_LOG") != NULL)
		fprintf(stderr, "  commit of %llu writes and flushes: %d old, %d new, %d bad\n",
		        (unsigned long long)commit_writes, saw_old, saw_new, bad);
	/* A crash at any write or flush of the commit, the header included,
	 * torn or not, cached or not, leaves the old state; one at the last
	 * flush (the header may or may not be out: fsync had not returned)
	 * either state; the finished commit the new one. Never anything else. */
	CHECK_EQ(bad, 0);
	CHECK(saw_old >= 6 * ((int)commit_writes - 1));
	CHECK(saw_new >= 6);
	CHECK_EQ(saw_old + saw_new, 6 * ((int)commit_writes + 1));
	voldev_free(&d);
}

static void test_volume_full_gives_enospc(void)
{
	struct volfs_state first;
	struct voldev *d = keep(voldev_mkfs(256, g_key, &first));
	char m[16];
	struct fs_super *sb = mount_at(d, &first, false, m);
	if (sb == NULL)
		return;
	u8 *data = malloc(1 << 20);
	pattern(5, data, 1 << 20);
	struct file *f;
	CHECK_EQ(vfs_open(g_root, at(m, "/fill"), O_CREAT | O_WRONLY, 0644, &f), 0);
	long total = 0, n;
	while ((n = vfs_write(f, data, 40000)) > 0)
		total += n;
	CHECK_EQ(n, -ENOSPC);
	CHECK(total > 600 * 1024 && total < 1024 * 1024);
	file_put(f);
	CHECK_EQ(sync_mount(m), 0);
	struct kstatfs fsinfo;
	struct inode *root;
	CHECK_EQ(vfs_lookup(g_root, m, LOOKUP_FOLLOW, &root), 0);
	vfs_statfs(root, &fsinfo);
	CHECK(fsinfo.blocks_free < 32);
	/* Removing the file (metadata may use the reserve) frees its room. */
	CHECK_EQ(vfs_unlink(g_root, at(m, "/fill")), 0);
	CHECK_EQ(sync_mount(m), 0);
	vfs_statfs(root, &fsinfo);
	CHECK(fsinfo.blocks_free > 200);
	CHECK_EQ(put_file(at(m, "/again"), data, 500 * 1024), 0);
	CHECK_EQ(sync_mount(m), 0);
	CHECK(same_file(at(m, "/again"), data, 500 * 1024));
	inode_put(root);
	free(data);
}

static void test_volume_tampering_detected(void)
{
	struct volfs_state base;
	struct voldev d = crash_base(&base);
	int err;
	struct fs_super *sb = open_dev(&d, &base, true, &err);
	struct inode *f;
	CHECK_EQ(sb->root->iops->lookup(sb->root, "base", 4, &f), 0);
	struct volfs_store probe;
	struct volfs_dev dev = voldev_dev(&d);
	CHECK_EQ(volfs_store_open(&probe, &dev, g_key, &base, false), 0);
	volfs_store_close(&probe);
	/* Flip one byte of each block in turn: metadata blocks make the mount
	 * fail, data blocks make their reads fail; nothing reads wrong. */
	u8 good[32];
	tree_digest(sb, good);
	inode_put(f);
	volfs_unmount(sb, false);
	int refused = 0, eio_reads = 0, unnoticed = 0;
	for (u64 b = VOLFS_FIRST_BLOCK; b < 80; b++) {
		struct voldev t = voldev_copy(&d);
		t.data[b * VOLFS_BLOCK_SIZE + 99] ^= 0x10;
		sb = open_dev(&t, &base, true, &err);
		if (sb == NULL) {
			CHECK(err == -EIO);
			refused++;
		} else {
			u8 now[32];
			tree_digest(sb, now);
			if (memcmp(now, good, 32) != 0)
				eio_reads++;
			else
				unnoticed++; /* a free block: not part of the state */
			volfs_unmount(sb, false);
		}
		voldev_free(&t);
	}
	CHECK(refused > 0);
	CHECK(eio_reads > 40); /* "base" is 49 data blocks */
	voldev_free(&d);
	(void)unnoticed;
}

static void test_volume_many_names(void)
{
	struct volfs_state first;
	struct voldev *d = keep(voldev_mkfs(2048, g_key, &first));
	char m[16];
	struct fs_super *sb = mount_at(d, &first, false, m);
	if (sb == NULL)
		return;
	char name[64];
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "/name-%04d-%s", i, i % 3 ? "short" : "a-much-longer-name-here");
		CHECK_EQ(put_file(at(m, name), (const u8 *)name, strlen(name)), 0);
	}
	for (int i = 0; i < 300; i += 2) {
		snprintf(name, sizeof(name), "/name-%04d-%s", i, i % 3 ? "short" : "a-much-longer-name-here");
		CHECK_EQ(vfs_unlink(g_root, at(m, name)), 0);
	}
	CHECK_EQ(sync_mount(m), 0);
	struct volfs_state now;
	volfs_state_of(sb, &now);
	struct voldev *copy = keep(voldev_copy(d));
	char m2[16];
	CHECK(mount_at(copy, &now, true, m2) != NULL);
	struct file *dir;
	CHECK_EQ(vfs_open(g_root, m2, O_RDONLY | O_DIRECTORY, 0, &dir), 0);
	u8 buf[4096];
	int names = 0;
	long n;
	while ((n = vfs_getdents64(dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			u16 reclen = *(u16 *)(buf + off + 16);
			const char *nm = (const char *)buf + off + 19;
			if (strcmp(nm, ".") && strcmp(nm, ".."))
				names++;
			off += reclen;
		}
	}
	file_put(dir);
	CHECK_EQ(names, 150);
	for (int i = 1; i < 300; i += 2) {
		snprintf(name, sizeof(name), "/name-%04d-%s", i, i % 3 ? "short" : "a-much-longer-name-here");
		CHECK(same_file(at(m2, name), (const u8 *)name, strlen(name)));
	}
}


/* ---- authentic but malformed metadata: what a writer bug could leave ---- */

static u32 g_rand = 2463534242u;

static u32 rnd(void)
{
	g_rand ^= g_rand << 13;
	g_rand ^= g_rand >> 17;
	g_rand ^= g_rand << 5;
	return g_rand;
}

/* A volume with directories, files of several depths and a symlink. */
static struct voldev fuzz_base(struct volfs_state *state)
{
	struct volfs_state first;
	struct voldev d = voldev_mkfs(1024, g_key, &first);
	int err;
	struct fs_super *sb = open_dev(&d, &first, false, &err);
	struct inode *root = sb->root, *dir, *f;
	CHECK_EQ(root->iops->mkdir(root, "dir", 3, 0755), 0);
	CHECK_EQ(root->iops->lookup(root, "dir", 3, &dir), 0);
	static u8 data[600 * 1024];
	pattern(11, data, sizeof(data));
	const size_t sizes[] = { 10, 5000, sizeof(data) };
	for (int i = 0; i < 3; i++) {
		char name[8] = { 'f', (char)('0' + i), 0 };
		CHECK_EQ(dir->iops->create(dir, name, 2, 0644, &f), 0);
		struct file file = { .refcount = 1, .inode = f, .ops = f->fops };
		CHECK_EQ(f->fops->write(&file, data, sizes[i], 0), (long)sizes[i]);
		inode_put(f);
	}
	for (int i = 0; i < 40; i++) {
		char name[32];
		int n = snprintf(name, sizeof(name), "entry-with-a-name-%02d", i);
		CHECK_EQ(root->iops->create(root, name, (size_t)n, 0600, &f), 0);
		inode_put(f);
	}
	CHECK_EQ(root->iops->symlink(root, "link", 4, "dir/f1"), 0);
	inode_put(dir);
	volfs_unmount(sb, true);
	sb = open_dev(&d, NULL, true, &err);
	volfs_state_of(sb, state);
	volfs_unmount(sb, false);
	return d;
}

/* Corrupt one metadata page of a mounted volume in place and commit it:
 * the result is authentic (the tags and MAC are right) but malformed. */
static void corrupt_and_commit(struct fs_super *sb, struct volfs_state *out)
{
	struct volfs_fs *fs = sb->priv;
	struct volfs_obj *obj = &fs->table;
	u64 index = 0;
	struct inode *dir = NULL;
	if (rnd() % 2 == 0) {
		index = rnd() % (fs->table_size / VOLFS_BLOCK_SIZE);
	} else {
		const char *names[] = { "dir", "link" };
		u32 pick = rnd() % 3;
		if (pick < 2 && sb->root->iops->lookup(sb->root, names[pick], strlen(names[pick]), &dir) == 0)
			obj = &vinode(dir)->obj;
		else
			obj = &vinode(sb->root)->obj; /* the root directory's first block */
	}
	u8 *page;
	if (volfs_obj_page(&fs->st, obj, index, true, &page) == 0 &&
	    volfs_obj_dirty(&fs->st, obj, index, false, false) == 0) {
		if (obj != &fs->table)
			volfs_touch_meta(dir != NULL ? dir : sb->root);
		u32 flips = 1 + rnd() % 4;
		for (u32 k = 0; k < flips; k++) {
			u32 at = rnd() % 512; /* records and names sit near the start */
			page[at] = (u8)rnd();
		}
	}
	inode_put(dir);
	volfs_commit(fs);
	volfs_state_of(sb, out);
}

static void test_volume_malformed_authentic_metadata(void)
{
	struct volfs_state base;
	struct voldev d = fuzz_base(&base);
	int refused = 0, mounted = 0;
	for (int round = 0; round < 300; round++) {
		struct voldev run = voldev_copy(&d);
		int err;
		struct fs_super *sb = open_dev(&run, &base, false, &err);
		if (sb == NULL) {
			CHECK(false);
			voldev_free(&run);
			continue;
		}
		struct volfs_state bad;
		corrupt_and_commit(sb, &bad);
		volfs_unmount(sb, false);
		/* read-only: walk everything; writable: also change something */
		for (int writable = 0; writable < 2; writable++) {
			sb = open_dev(&run, &bad, !writable, &err);
			if (sb == NULL) {
				CHECK(err == -EIO || err == -EINVAL || err == -ENOMEM);
				refused++;
				break;
			}
			mounted++;
			u8 digest[32];
			tree_digest(sb, digest);
			if (writable) {
				struct inode *f;
				if (sb->root->iops->create(sb->root, "after", 5, 0644, &f) == 0)
					inode_put(f);
				sb->root->iops->unlink(sb->root, "entry-with-a-name-07", 20);
				sb->root->iops->rename(sb->root, "dir", 3, sb->root, "dir2", 4, 0);
			}
			volfs_unmount(sb, writable);
		}
		voldev_free(&run);
	}
	if (getenv("CVMIFY_HOST_LOG") != NULL)
		fprintf(stderr, "  300 malformed volumes: %d refused, %d mounts survived\n", refused, mounted);
	CHECK(refused > 0);
	voldev_free(&d);
}

/* A volume the kernel wrote, for the Python reader (tests/test_volume_kernel.py). */
static void test_volume_export_for_python(void)
{
	const char *dir = getenv("VOLFS_EXPORT");
	struct volfs_state first, state;
	struct voldev *d = keep(voldev_mkfs(2048, g_key, &first));
	char m[16];
	struct fs_super *sb = mount_at(d, &first, false, m);
	if (sb == NULL)
		return;
	size_t sizes[] = { 0, 1, 4095, 4096, 4097, 600 * 1024 };
	u8 *data = malloc(600 * 1024);
	CHECK_EQ(vfs_mkdir(g_root, at(m, "/files"), 0755), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "/files/f%zu", sizes[i]);
		pattern((u32)sizes[i], data, sizes[i]);
		CHECK_EQ(put_file(at(m, name), data, sizes[i]), 0);
	}
	CHECK_EQ(vfs_symlink("files/f1", g_root, at(m, "/link")), 0);
	CHECK_EQ(vfs_rename(g_root, at(m, "/files/f4097"), g_root, at(m, "/moved"), 0), 0);
	CHECK_EQ(sync_mount(m), 0);
	volfs_state_of(sb, &state);
	free(data);
	if (dir == NULL)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/kernel.img", dir);
	FILE *out = fopen(path, "wb");
	CHECK(out != NULL && fwrite(d->data, VOLFS_BLOCK_SIZE, d->blocks, out) == d->blocks);
	fclose(out);
	snprintf(path, sizeof(path), "%s/kernel.json", dir);
	out = fopen(path, "w");
	fprintf(out, "{\"generation\": %llu, \"root\": \"", (unsigned long long)state.generation);
	for (int i = 0; i < VOLFS_ROOT_SIZE; i++)
		fprintf(out, "%02x", state.root[i]);
	fprintf(out, "\", \"key\": \"");
	for (int i = 0; i < VOLFS_KEY_SIZE; i++)
		fprintf(out, "%02x", g_key[i]);
	fprintf(out, "\"}\n");
	fclose(out);
}

static const struct host_test g_tests[] = {
	{ "volume_golden_listing", test_volume_golden_listing },
	{ "volume_files_persist", test_volume_files_persist },
	{ "volume_crash_anywhere", test_volume_crash_anywhere },
	{ "volume_full_gives_enospc", test_volume_full_gives_enospc },
	{ "volume_tampering_detected", test_volume_tampering_detected },
	{ "volume_many_names", test_volume_many_names },
	{ "volume_malformed_authentic_metadata", test_volume_malformed_authentic_metadata },
	{ "volume_export_for_python", test_volume_export_for_python },
};

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../tests/golden";
	if (!golden_image_load(dir, &g_image, NULL) || !golden_mount_root(&g_image) ||
	    !golden_volume_load(dir, &g_vol)) {
		fprintf(stderr, "cannot load the golden image and volume from %s\n", dir);
		return 1;
	}
	g_root = vfs_root();
	return run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])), argc - 1, argv + 1);
}
