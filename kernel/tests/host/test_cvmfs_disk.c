/*
 * test_cvmfs_disk.c: the authenticated block layer against the golden
 * image (tests/golden/small.*): open checks, root mismatch, every
 * flipped byte of every data block failing exactly that block's read,
 * and the page cache: a block that failed is never served from memory,
 * readahead, eviction under memory pressure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"

static const char *g_golden;
static struct memsource g_img;
static u8 g_key[CVMFS_KEY_SIZE];
static u8 g_root[CVMFS_ROOT_SIZE];

static bool load_golden(void)
{
	struct golden_image g;
	if (!golden_image_load(g_golden, &g, NULL))
		return false;
	g_img = g.img;
	memcpy(g_key, g.key, CVMFS_KEY_SIZE);
	memcpy(g_root, g.root, CVMFS_ROOT_SIZE);
	return true;
}

static int open_golden(struct cvmfs_disk *disk, struct memsource *m, const u8 *key,
                       const u8 *root)
{
	struct cvmfs_source src = memsource_source(m);
	return cvmfs_disk_open(disk, &src, key, root);
}

static struct memsource copy_image(void)
{
	struct memsource m = g_img;
	m.data = malloc(g_img.size);
	memcpy(m.data, g_img.data, g_img.size);
	return m;
}

static void test_open_and_read_all(void)
{
	struct cvmfs_disk disk;
	CHECK_EQ(open_golden(&disk, &g_img, g_key, g_root), 0);
	CHECK_EQ(disk.sb.block_count, 12);
	CHECK_EQ(disk.sb.inode_count, 17);
	u8 *all = malloc(disk.sb.block_count * CVMFS_BLOCK_SIZE);
	CHECK_EQ(cvmfs_disk_read(&disk, 0, all, disk.sb.block_count * CVMFS_BLOCK_SIZE), 0);
	/* A read across a block boundary equals the same bytes read whole. */
	u8 part[100];
	CHECK_EQ(cvmfs_disk_read(&disk, CVMFS_BLOCK_SIZE - 50, part, sizeof(part)), 0);
	CHECK(memcmp(part, all + CVMFS_BLOCK_SIZE - 50, sizeof(part)) == 0);
	free(all);
	cvmfs_disk_close(&disk);
}

static void test_read_out_of_range(void)
{
	struct cvmfs_disk disk;
	u8 buf[16];
	CHECK_EQ(open_golden(&disk, &g_img, g_key, g_root), 0);
	u64 end = disk.sb.block_count * CVMFS_BLOCK_SIZE;
	CHECK_EQ(cvmfs_disk_read(&disk, end - 8, buf, 16), -EINVAL);
	CHECK_EQ(cvmfs_disk_read(&disk, ~0ULL - 4, buf, 16), -EINVAL);
	CHECK_EQ(cvmfs_disk_read(&disk, end - 16, buf, 16), 0);
	cvmfs_disk_close(&disk);
}

static void test_wrong_root_refused(void)
{
	struct cvmfs_disk disk;
	u8 root[CVMFS_ROOT_SIZE];
	memcpy(root, g_root, sizeof(root));
	root[47] ^= 1;
	CHECK_EQ(open_golden(&disk, &g_img, g_key, root), -EACCES);
}

static void test_superblock_flips_refused(void)
{
	for (size_t i = 0; i < CVMFS_SB_SIZE; i++) {
		struct memsource m = copy_image();
		m.data[i] ^= 0x40;
		struct cvmfs_disk disk;
		int err = open_golden(&disk, &m, g_key, g_root);
		if (err != -EINVAL && err != -EACCES) {
			fprintf(stderr, "  superblock byte %zu: open returned %d\n", i, err);
			CHECK(false);
		}
		free(m.data);
	}
}

static void test_tag_table_flips_refused(void)
{
	u64 tag_bytes = 12 * CVMFS_TAG_SIZE;
	for (u64 i = 0; i < tag_bytes; i++) {
		struct memsource m = copy_image();
		m.data[CVMFS_TAG_TABLE_OFFSET + i] ^= 0x01;
		struct cvmfs_disk disk;
		CHECK_EQ(open_golden(&disk, &m, g_key, g_root), -EACCES);
		free(m.data);
	}
}

static void test_truncated_device_refused(void)
{
	struct memsource m = g_img;
	m.size -= 4096;
	struct cvmfs_disk disk;
	CHECK_EQ(open_golden(&disk, &m, g_key, g_root), -EINVAL);
	m.size = 1024;
	CHECK_EQ(open_golden(&disk, &m, g_key, g_root), -EINVAL);
}

/* Read each block; return a bitmask of the blocks that failed with EIO. */
static u64 failing_blocks(struct cvmfs_disk *disk)
{
	u64 mask = 0;
	u8 buf[CVMFS_BLOCK_SIZE];
	for (u64 b = 0; b < disk->sb.block_count; b++) {
		memset(buf, 0xaa, sizeof(buf));
		int err = cvmfs_disk_read(disk, b * CVMFS_BLOCK_SIZE, buf, sizeof(buf));
		if (err == -EIO)
			mask |= 1ULL << b;
		else
			CHECK_EQ(err, 0);
	}
	return mask;
}

static void test_every_data_byte_flip_fails_that_block(void)
{
	struct memsource m = copy_image();
	struct cvmfs_disk disk;
	CHECK_EQ(open_golden(&disk, &m, g_key, g_root), 0);
	u64 blocks = disk.sb.block_count;
	u64 data_offset = disk.sb.data_offset;
	cvmfs_disk_close(&disk);

	int wrong = 0;
	for (u64 b = 0; b < blocks; b++) {
		for (u64 i = 0; i < CVMFS_BLOCK_SIZE; i++) {
			u64 pos = data_offset + b * CVMFS_BLOCK_SIZE + i;
			m.data[pos] ^= (u8)(1 << (i % 8));
			CHECK_EQ(open_golden(&disk, &m, g_key, g_root), 0);
			if (i % 1024 == 0) {
				/* Sometimes check every block: only b fails. */
				if (failing_blocks(&disk) != 1ULL << b)
					wrong++;
			} else {
				u8 buf[64];
				int err = cvmfs_disk_read(&disk, b * CVMFS_BLOCK_SIZE + 100, buf,
				                          sizeof(buf));
				if (err != -EIO)
					wrong++;
			}
			cvmfs_disk_close(&disk);
			m.data[pos] ^= (u8)(1 << (i % 8));
		}
	}
	CHECK_EQ(wrong, 0);
	free(m.data);
}

static void test_swapped_blocks_fail(void)
{
	struct memsource m = copy_image();
	struct cvmfs_disk disk;
	CHECK_EQ(open_golden(&disk, &m, g_key, g_root), 0);
	u64 d = disk.sb.data_offset;
	cvmfs_disk_close(&disk);
	u8 tmp[CVMFS_BLOCK_SIZE];
	memcpy(tmp, m.data + d + 1 * CVMFS_BLOCK_SIZE, CVMFS_BLOCK_SIZE);
	memcpy(m.data + d + 1 * CVMFS_BLOCK_SIZE, m.data + d + 2 * CVMFS_BLOCK_SIZE,
	       CVMFS_BLOCK_SIZE);
	memcpy(m.data + d + 2 * CVMFS_BLOCK_SIZE, tmp, CVMFS_BLOCK_SIZE);
	CHECK_EQ(open_golden(&disk, &m, g_key, g_root), 0);
	CHECK_EQ(failing_blocks(&disk), (1ULL << 1) | (1ULL << 2));
	cvmfs_disk_close(&disk);
	free(m.data);
}

static void test_wrong_key_fails_every_block(void)
{
	u8 key[CVMFS_KEY_SIZE];
	memcpy(key, g_key, sizeof(key));
	key[0] ^= 1;
	struct cvmfs_disk disk;
	CHECK_EQ(open_golden(&disk, &g_img, key, g_root), 0);
	CHECK_EQ(failing_blocks(&disk), (1ULL << 12) - 1);
	CHECK_EQ(disk.failed_blocks, 12);
	cvmfs_disk_close(&disk);
}

static void test_cache_serves_repeat_reads(void)
{
	struct cvmfs_disk disk;
	CHECK_EQ(open_golden(&disk, &g_img, g_key, g_root), 0);
	u8 buf[32];
	u64 before = g_img.reads;
	CHECK_EQ(cvmfs_disk_read(&disk, 5000, buf, sizeof(buf)), 0);
	CHECK_EQ(g_img.reads, before + 1);
	CHECK_EQ(cvmfs_disk_read(&disk, 5100, buf, sizeof(buf)), 0);
	CHECK_EQ(g_img.reads, before + 1);
	cvmfs_disk_close(&disk);
}

/* The shim's memory figures (tests/host/shim.c). */
extern size_t g_shim_free_pages;
extern size_t g_shim_total_pages;
size_t shim_reclaim(size_t want);

static void test_failed_block_is_never_cached(void)
{
	struct memsource m = copy_image();
	struct cvmfs_disk disk;
	CHECK_EQ(open_golden(&disk, &m, g_key, g_root), 0);
	u64 pos = disk.sb.data_offset + 3 * CVMFS_BLOCK_SIZE + 77;
	m.data[pos] ^= 0x40;
	u8 buf[16];
	for (int i = 0; i < 3; i++) {
		u64 before = m.reads;
		CHECK_EQ(cvmfs_disk_read(&disk, 3 * CVMFS_BLOCK_SIZE + 10, buf, sizeof(buf)), -EIO);
		CHECK_EQ(m.reads, before + 1); /* each attempt goes to the device */
		CHECK(!cvmfs_cache_contains(&disk.cache, 3));
	}
	CHECK_EQ(disk.failed_blocks, 3);
	/* Repaired on the device: the next read verifies and caches it. */
	m.data[pos] ^= 0x40;
	CHECK_EQ(cvmfs_disk_read(&disk, 3 * CVMFS_BLOCK_SIZE + 10, buf, sizeof(buf)), 0);
	CHECK(cvmfs_cache_contains(&disk.cache, 3));
	/* Broken again after it was cached: the cached, verified copy is
	 * what a read sees (the device is not asked again). */
	m.data[pos] ^= 0x40;
	u64 before = m.reads;
	CHECK_EQ(cvmfs_disk_read(&disk, 3 * CVMFS_BLOCK_SIZE + 10, buf, sizeof(buf)), 0);
	CHECK_EQ(m.reads, before);
	cvmfs_disk_close(&disk);
	free(m.data);
}

static void test_readahead_skips_a_bad_neighbour(void)
{
	struct memsource m = copy_image();
	struct cvmfs_disk disk;
	CHECK_EQ(open_golden(&disk, &m, g_key, g_root), 0);
	m.data[disk.sb.data_offset + 6 * CVMFS_BLOCK_SIZE] ^= 1;
	u8 buf[8];
	CHECK_EQ(cvmfs_disk_read(&disk, 2 * CVMFS_BLOCK_SIZE, buf, sizeof(buf)), 0);
	/* Block 3 follows a cached block: one request reads the rest. */
	u64 before = m.reads;
	CHECK_EQ(cvmfs_disk_read(&disk, 3 * CVMFS_BLOCK_SIZE, buf, sizeof(buf)), 0);
	CHECK_EQ(m.reads, before + 1);
	for (u64 b = 3; b < disk.sb.block_count; b++)
		CHECK_EQ(cvmfs_cache_contains(&disk.cache, b), b != 6);
	CHECK_EQ(cvmfs_disk_read(&disk, 5 * CVMFS_BLOCK_SIZE, buf, sizeof(buf)), 0);
	CHECK_EQ(m.reads, before + 1);
	CHECK_EQ(cvmfs_disk_read(&disk, 6 * CVMFS_BLOCK_SIZE, buf, sizeof(buf)), -EIO);
	cvmfs_disk_close(&disk);
	free(m.data);
}

static void test_eviction_under_memory_pressure(void)
{
	struct cvmfs_disk disk;
	CHECK_EQ(open_golden(&disk, &g_img, g_key, g_root), 0);
	size_t blocks = disk.sb.block_count * CVMFS_BLOCK_SIZE;
	u8 *all = malloc(blocks);
	CHECK_EQ(cvmfs_disk_read(&disk, 0, all, blocks), 0);
	CHECK_EQ(disk.cache.count, disk.sb.block_count);

	/* The allocator asks for memory back: unmapped blocks go, oldest
	 * first; a block someone holds stays. */
	u8 *held = NULL;
	CHECK_EQ(cvmfs_block_get(&disk, 0, 1, &held), 0);
	CHECK_EQ(shim_reclaim(1000), disk.sb.block_count - 1);
	CHECK_EQ(disk.cache.count, 1);
	CHECK(cvmfs_cache_contains(&disk.cache, 0));
	page_put(held);

	/* Free RAM below the reserve: the cache recycles its own blocks
	 * instead of growing, and every byte read is still right. */
	size_t saved_free = g_shim_free_pages;
	g_shim_free_pages = g_shim_total_pages / 32;
	u8 *again = malloc(blocks);
	for (u64 pass = 0; pass < 2; pass++) {
		for (u64 b = 0; b < disk.sb.block_count; b++) {
			u64 at = ((b * 5) % disk.sb.block_count) * CVMFS_BLOCK_SIZE;
			CHECK_EQ(cvmfs_disk_read(&disk, at, again + at, CVMFS_BLOCK_SIZE), 0);
			CHECK(disk.cache.count <= 2);
		}
	}
	CHECK(memcmp(all, again, blocks) == 0);
	CHECK(disk.cache.evictions > 0);
	g_shim_free_pages = saved_free;
	free(again);
	free(all);
	cvmfs_disk_close(&disk);
}

static const struct host_test g_tests[] = {
	{ "open_and_read_all", test_open_and_read_all },
	{ "read_out_of_range", test_read_out_of_range },
	{ "wrong_root_refused", test_wrong_root_refused },
	{ "superblock_flips_refused", test_superblock_flips_refused },
	{ "tag_table_flips_refused", test_tag_table_flips_refused },
	{ "truncated_device_refused", test_truncated_device_refused },
	{ "every_data_byte_flip_fails_that_block", test_every_data_byte_flip_fails_that_block },
	{ "swapped_blocks_fail", test_swapped_blocks_fail },
	{ "wrong_key_fails_every_block", test_wrong_key_fails_every_block },
	{ "cache_serves_repeat_reads", test_cache_serves_repeat_reads },
	{ "failed_block_is_never_cached", test_failed_block_is_never_cached },
	{ "readahead_skips_a_bad_neighbour", test_readahead_skips_a_bad_neighbour },
	{ "eviction_under_memory_pressure", test_eviction_under_memory_pressure },
};

int main(int argc, char **argv)
{
	g_golden = argc > 1 ? argv[1] : "../tests/golden";
	if (!load_golden()) {
		fprintf(stderr, "cannot load the golden image from %s\n", g_golden);
		return 1;
	}
	int status = run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])),
	                       argc - 1, argv + 1);
	memsource_free(&g_img);
	return status;
}
