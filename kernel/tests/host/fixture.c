/* fixture.c: see fixture.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl_hash.h>

#include "check.h"
#include "fixture.h"
#include "fs/cvmfs.h"
#include "fs/tmpfs.h"
#include "fs/vfs.h"
#include "syscalls/linux_abi/fcntl.h"

/* dir/name into buf; false when it does not fit. */
static bool golden_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);
	return n > 0 && (size_t)n < size;
}

static bool load_key(const char *dir, u8 *key)
{
	char path[512];
	if (!golden_path(path, sizeof(path), dir, "small.key"))
		return false;
	size_t size = 0;
	char *text = read_text_file(path, &size);
	bool ok = text != NULL && size == CVMFS_KEY_SIZE;
	if (text != NULL && !ok)
		fprintf(stderr, "%s: %zu bytes, want %d\n", path, size, CVMFS_KEY_SIZE);
	if (ok)
		memcpy(key, text, CVMFS_KEY_SIZE);
	free(text);
	return ok;
}

bool golden_image_load(const char *dir, struct golden_image *g, char **json)
{
	char path[512];
	if (!golden_path(path, sizeof(path), dir, "small.img") || !memsource_load(&g->img, path))
		return false;
	if (!load_key(dir, g->key) || !golden_path(path, sizeof(path), dir, "small.json"))
		return false;
	char *text = read_text_file(path, NULL);
	if (text == NULL || !json_hex_field(text, "root", g->root, sizeof(g->root))) {
		free(text);
		return false;
	}
	if (json != NULL)
		*json = text;
	else
		free(text);
	return true;
}

bool golden_mount_root(struct golden_image *g)
{
	struct cvmfs_source src = memsource_source(&g->img);
	struct fs_super *sb = NULL;
	if (cvmfs_create(&src, g->key, g->root, &sb) < 0)
		return false;
	return vfs_mount_root(sb) >= 0;
}

int golden_test_main(int argc, char **argv, bool (*setup)(const char *golden),
                     const struct host_test *tests, int count)
{
	const char *golden = argc > 1 ? argv[1] : "../tests/golden";
	if (!setup(golden)) {
		fprintf(stderr, "setup failed (golden image at %s)\n", golden);
		return 1;
	}
	return run_tests(tests, count, argc - 1, argv + 1);
}

static void sha256_hex(const u8 *data, size_t size, char out[65])
{
	br_sha256_context ctx;
	u8 digest[32];
	br_sha256_init(&ctx);
	br_sha256_update(&ctx, data, size);
	br_sha256_out(&ctx, digest);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", digest[i]);
}

void golden_check_entry(struct inode *root, const struct golden_entry *e)
{
	struct inode *inode = NULL;
	int err = vfs_lookup(root, e->path, 0, &inode);
	if (err != 0) {
		fprintf(stderr, "  lookup %s: %d\n", e->path, err);
		CHECK(false);
		return;
	}
	struct kstat st;
	vfs_stat(inode, &st);
	CHECK_EQ(st.ino, e->inode);
	CHECK_EQ(st.mode, e->mode);
	CHECK_EQ(st.uid, e->uid);
	CHECK_EQ(st.gid, e->gid);
	CHECK_EQ(st.nlink, e->nlink);
	CHECK_EQ(st.mtime.sec, e->mtime);
	if (e->has_size)
		CHECK_EQ(st.size, e->size);

	if (inode_is_link(inode)) {
		char target[4096];
		long n = vfs_readlink(root, e->path, target, sizeof(target));
		CHECK_EQ(n, strlen(e->target));
		CHECK(n > 0 && memcmp(target, e->target, (size_t)n) == 0);
	} else if (inode_is_reg(inode)) {
		struct file *f = NULL;
		CHECK_EQ(vfs_open(root, e->path, O_RDONLY, 0, &f), 0);
		u8 *buf = malloc(e->size + 10);
		/* Read in odd-sized pieces to cross block boundaries. */
		size_t got = 0;
		for (;;) {
			long n = vfs_read(f, buf + got, 777);
			CHECK(n >= 0);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		CHECK_EQ(got, e->size);
		char hex[65];
		sha256_hex(buf, got, hex);
		if (strcmp(hex, e->sha256) != 0) {
			fprintf(stderr, "  %s: sha256 mismatch\n", e->path);
			CHECK(false);
		}
		free(buf);
		file_put(f);
	}
	inode_put(inode);
}

bool golden_mount_overlay(struct golden_image *g, u64 page_limit, bool read_only)
{
	struct cvmfs_source src = memsource_source(&g->img);
	struct fs_super *lower = NULL;
	if (cvmfs_create(&src, g->key, g->root, &lower) < 0)
		return false;
	struct fs_super *sb = tmpfs_create_overlay(lower, cvmfs_inode_count(lower) + 1,
	                                           page_limit, read_only);
	return sb != NULL && vfs_mount_root(sb) >= 0;
}
