/*
 * test_cvmfs_fuzz.c: a simple random fuzzer for the cvmfs parsers.
 *
 * 1. Superblocks, inodes and directory records with random bytes flipped
 *    go straight into cvmfs_parse_*.
 * 2. Whole images: the golden image's plaintext with random bytes of the
 *    inode table and directory records changed, re-encrypted with fresh
 *    tags and root (as a buggy writer would produce: authentic but
 *    malformed), mounted and walked completely through the VFS ops.
 * ASan/UBSan turn any out-of-bounds access into a failure; the checks
 * below only ask that every operation returns a value or an -errno.
 * Deterministic: a fixed seed, so a failure reproduces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crypto/crypto.h"
#include "fs/cvmfs.h"
#include "fixture.h"
#include "syscalls/linux_abi/errno.h"

#define ROUNDS_PARSE 20000
#define ROUNDS_IMAGE 300
#define WALK_MAX_NODES 200

static u64 g_rng = 0x9e3779b97f4a7c15ULL;
static struct memsource g_img;
static u8 g_key[32];
static u8 g_root[48];

static u64 next_random(void)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return g_rng;
}

static void mutate(u8 *buf, size_t size, int flips)
{
	for (int i = 0; i < flips; i++) {
		size_t pos = (size_t)(next_random() % size);
		switch (next_random() % 3) {
		case 0:
			buf[pos] ^= (u8)(1u << (next_random() % 8));
			break;
		case 1:
			buf[pos] = (u8)next_random();
			break;
		default:
			buf[pos] = (u8)(next_random() % 2 ? 0xff : 0x00);
			break;
		}
	}
}

static void test_parse_superblock_and_records(void)
{
	u8 sb_raw[CVMFS_BLOCK_SIZE];
	memcpy(sb_raw, g_img.data, sizeof(sb_raw));
	struct cvmfs_sb sb;
	CHECK_EQ(cvmfs_parse_superblock(sb_raw, g_img.size, &sb), 0);

	int accepted = 0;
	for (int round = 0; round < ROUNDS_PARSE; round++) {
		u8 copy[CVMFS_SB_SIZE];
		memcpy(copy, sb_raw, sizeof(copy));
		mutate(copy, sizeof(copy), 1 + (int)(next_random() % 4));
		struct cvmfs_sb out;
		if (cvmfs_parse_superblock(copy, g_img.size, &out) == 0)
			accepted++;

		/* Random inode and record bytes, read from exactly-sized heap
		 * buffers so ASan sees any overrun. */
		u8 *inode = malloc(CVMFS_INODE_SIZE);
		for (int i = 0; i < CVMFS_INODE_SIZE; i++)
			inode[i] = (u8)next_random();
		struct cvmfs_inode in;
		(void)cvmfs_parse_inode(&sb, (u32)(next_random() % 40), inode, &in);
		free(inode);

		size_t avail = (size_t)(next_random() % 300);
		u8 *rec = malloc(avail ? avail : 1);
		for (size_t i = 0; i < avail; i++)
			rec[i] = (u8)next_random();
		if (avail >= 8) {
			rec[4] = (u8)(next_random() % 300);
			rec[5] = 0;
		}
		struct cvmfs_dirent d;
		if (cvmfs_parse_dirent(&sb, rec, avail, &d) == 0) {
			CHECK(d.record_size <= avail);
			CHECK(d.name + d.name_len <= rec + avail);
		}
		free(rec);
	}
	/* Some flips hit don't-care bytes (the salt): those must still parse. */
	CHECK(accepted > 0);
}

/* Plaintext of the golden image (all blocks). */
static u8 *golden_plaintext(struct cvmfs_sb *sb_out)
{
	struct cvmfs_disk disk;
	struct cvmfs_source src = memsource_source(&g_img);
	if (cvmfs_disk_open(&disk, &src, g_key, g_root) != 0)
		return NULL;
	size_t size = disk.sb.block_count * CVMFS_BLOCK_SIZE;
	u8 *plain = malloc(size);
	if (cvmfs_disk_read(&disk, 0, plain, size) != 0) {
		free(plain);
		plain = NULL;
	}
	*sb_out = disk.sb;
	cvmfs_disk_close(&disk);
	return plain;
}

/* Encrypt plaintext into img (same layout as the golden), fix tags and
 * return the new root in root_out. */
static void reencrypt(struct memsource *img, const struct cvmfs_sb *sb, const u8 *plain,
                      u8 root_out[48])
{
	static const char info[] = CVMFS_HKDF_INFO;
	u8 image_key[32];
	hkdf_sha384(g_key, 32, sb->salt, CVMFS_SALT_SIZE, info, sizeof(info) - 1, image_key, 32);
	struct aes_gcm_key key;
	aes_gcm_key_init(&key, image_key);
	for (u64 b = 0; b < sb->block_count; b++) {
		u8 iv[AES_GCM_IV_SIZE] = { 0 };
		for (int i = 0; i < 8; i++)
			iv[i] = (u8)(b >> (8 * i));
		u8 *out = img->data + sb->data_offset + b * CVMFS_BLOCK_SIZE;
		memcpy(out, plain + b * CVMFS_BLOCK_SIZE, CVMFS_BLOCK_SIZE);
		aes_gcm_encrypt(&key, iv, out, CVMFS_BLOCK_SIZE,
		                img->data + CVMFS_TAG_TABLE_OFFSET + b * CVMFS_TAG_SIZE);
	}
	aes_gcm_key_wipe(&key);
	struct sha384_ctx h;
	sha384_init(&h);
	sha384_update(&h, img->data, CVMFS_SB_SIZE);
	sha384_update(&h, img->data + CVMFS_TAG_TABLE_OFFSET, sb->block_count * CVMFS_TAG_SIZE);
	sha384_final(&h, root_out);
}

/* Visit everything reachable from dir with the raw inode ops. */
static void walk(struct inode *dir, int depth, int *budget)
{
	if (depth > 8 || *budget <= 0)
		return;
	u64 cookie = 0;
	struct vfs_dirent ent;
	for (int n = 0; n < 64 && (*budget)-- > 0; n++) {
		int got = dir->iops->iterate(dir, &cookie, &ent);
		if (got <= 0) {
			CHECK(got == 0 || got == -EIO);
			return;
		}
		CHECK(ent.name_len >= 1 && ent.name_len <= 255);
		struct inode *child = NULL;
		int err = dir->iops->lookup(dir, ent.name, ent.name_len, &child);
		if (err != 0) {
			CHECK(err == -EIO || err == -ENOENT);
			continue;
		}
		char buf[5000];
		if (inode_is_dir(child)) {
			struct inode *up = NULL;
			if (child->iops->lookup(child, "..", 2, &up) == 0)
				inode_put(up);
			walk(child, depth + 1, budget);
		} else if (inode_is_link(child)) {
			long r = child->iops->readlink(child, buf, sizeof(buf));
			CHECK(r == -EIO || (r >= 1 && r <= 4095));
		} else {
			struct file f = { .refcount = 1, .inode = child, .ops = child->fops };
			long r = child->fops->read(&f, buf, sizeof(buf), next_random() % 30000);
			CHECK(r >= -EIO && r <= (long)sizeof(buf));
		}
		inode_put(child);
	}
}

static void test_malformed_authentic_images(void)
{
	struct cvmfs_sb sb;
	u8 *plain = golden_plaintext(&sb);
	CHECK(plain != NULL);
	if (plain == NULL)
		return;
	/* The metadata area: inode table, directory records, symlink targets. */
	size_t meta = (size_t)sb.inode_table_offset + (size_t)sb.inode_count * CVMFS_INODE_SIZE + 2048;
	size_t size = sb.block_count * CVMFS_BLOCK_SIZE;
	u8 *work = malloc(size);
	int mounted = 0;
	for (int round = 0; round < ROUNDS_IMAGE; round++) {
		memcpy(work, plain, size);
		mutate(work, meta, 1 + (int)(next_random() % 8));
		struct memsource m = g_img;
		m.data = malloc(g_img.size);
		memcpy(m.data, g_img.data, g_img.size);
		u8 root[48];
		reencrypt(&m, &sb, work, root);

		struct cvmfs_source src = memsource_source(&m);
		struct fs_super *fs = NULL;
		int err = cvmfs_create(&src, g_key, root, &fs);
		if (err == 0) {
			mounted++;
			int budget = WALK_MAX_NODES;
			walk(fs->root, 0, &budget);
			/* No unmount in the kernel: free by hand for ASan's leak check. */
			inode_put(fs->root);
			struct cvmfs_disk *disk = fs->priv; /* first member of cvmfs_fs */
			cvmfs_disk_close(disk);
			free(fs->priv);
		} else {
			CHECK(err == -EIO);
		}
		free(m.data);
	}
	CHECK(mounted > 0);
	free(work);
	free(plain);
}

static const struct host_test g_tests[] = {
	{ "parse_superblock_and_records", test_parse_superblock_and_records },
	{ "malformed_authentic_images", test_malformed_authentic_images },
};

int main(int argc, char **argv)
{
	const char *golden = argc > 1 ? argv[1] : "../tests/golden";
	struct golden_image g;
	if (!golden_image_load(golden, &g, NULL))
		return 1;
	g_img = g.img;
	memcpy(g_key, g.key, sizeof(g_key));
	memcpy(g_root, g.root, sizeof(g_root));
	int status = run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])), argc - 1,
	                       argv + 1);
	memsource_free(&g_img);
	return status;
}
