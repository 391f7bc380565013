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
#include "cvmfs_image.h"
#include "fixture.h"
#include "syscalls/linux_abi/errno.h"

#define ROUNDS_PARSE 20000
#define ROUNDS_IMAGE 300
#define WALK_MAX_NODES 200

static u64 g_rng = 0x9e3779b97f4a7c15ULL;
static struct memsource g_img;
static u8 g_key[32];
static u8 g_root[48];
static struct golden_image g_golden;

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

static void test_malformed_authentic_images(void)
{
	struct cvmfs_sb sb;
	u8 *plain = cvmfs_image_plaintext(&g_golden, &sb);
	CHECK(plain != NULL);
	if (plain == NULL)
		return;
	size_t meta = cvmfs_image_metadata_size(&sb);
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
		cvmfs_image_reencrypt(&m, &sb, g_key, work, root);
		if (cvmfs_image_mount_and_walk(&m, g_key, root, WALK_MAX_NODES, next_random) == 0)
			mounted++;
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
	g_golden = g;
	g_img = g.img;
	memcpy(g_key, g.key, sizeof(g_key));
	memcpy(g_root, g.root, sizeof(g_root));
	int status = run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])), argc - 1,
	                       argv + 1);
	memsource_free(&g_img);
	return status;
}
