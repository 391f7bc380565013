/*
 * test_volfs_store.c: the volume block store against the golden volume
 * (tests/golden/volume.*, written by cvmify/volume/): which header slot
 * counts, the expected state, flipped header bytes, and authenticated
 * block reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fs/volfs_store.h"
#include "syscalls/linux_abi/errno.h"
#include "voldev.h"

static struct golden_volume g_vol;

static int open_dev(struct volfs_store *st, struct voldev *d, const u8 *key,
                    const struct volfs_state *expected)
{
	struct volfs_dev dev = voldev_dev(d);
	return volfs_store_open(st, &dev, key, expected, false);
}

static void test_volume_expected_states(void)
{
	struct volfs_store st;
	CHECK_EQ(open_dev(&st, &g_vol.dev, g_vol.key, &g_vol.state), 0);
	CHECK_EQ(st.hdr.generation, g_vol.state.generation);
	CHECK(memcmp(st.root, g_vol.state.root, VOLFS_ROOT_SIZE) == 0);
	CHECK_EQ(st.hdr.block_count, 256);
	CHECK_EQ(st.hdr.table_depth, 1);
	volfs_store_close(&st);
	/* The older slot is a state too: the host may name it (and the
	 * launcher's record is what keeps it from doing so unseen). */
	CHECK_EQ(open_dev(&st, &g_vol.dev, g_vol.key, &g_vol.older), 0);
	CHECK_EQ(st.hdr.generation, g_vol.older.generation);
	volfs_store_close(&st);
	CHECK_EQ(open_dev(&st, &g_vol.dev, g_vol.key, NULL), 0);
	CHECK_EQ(st.hdr.generation, g_vol.state.generation); /* tools: the newest */
	volfs_store_close(&st);
}

static void test_volume_wrong_state_or_key_refused(void)
{
	struct volfs_store st;
	struct volfs_state other = g_vol.state;
	other.root[0] ^= 1;
	CHECK_EQ(open_dev(&st, &g_vol.dev, g_vol.key, &other), -EACCES);
	other = g_vol.state;
	other.generation++;
	CHECK_EQ(open_dev(&st, &g_vol.dev, g_vol.key, &other), -EACCES);
	u8 key[VOLFS_KEY_SIZE];
	memcpy(key, g_vol.key, sizeof(key));
	key[31] ^= 0x80;
	CHECK_EQ(open_dev(&st, &g_vol.dev, key, &g_vol.state), -EACCES);
	CHECK_EQ(open_dev(&st, &g_vol.dev, key, NULL), -EACCES);
}

static void test_volume_header_flips_refused(void)
{
	struct voldev d = voldev_copy(&g_vol.dev);
	u64 slot = g_vol.state.generation % 2 == 1 ? 0 : 1;
	u8 *raw = d.data + slot * VOLFS_BLOCK_SIZE;
	int accepted = 0, older_lost = 0;
	for (u32 i = 0; i < VOLFS_HDR_SIZE * 8; i++) {
		raw[i / 8] ^= (u8)(1u << (i % 8));
		struct volfs_store st;
		if (open_dev(&st, &d, g_vol.key, &g_vol.state) != -EACCES) {
			accepted++;
			volfs_store_close(&st);
		}
		if (open_dev(&st, &d, g_vol.key, &g_vol.older) == 0)
			volfs_store_close(&st);
		else
			older_lost++;
		raw[i / 8] ^= (u8)(1u << (i % 8));
	}
	CHECK_EQ(accepted, 0);
	CHECK_EQ(older_lost, 0); /* a torn newest slot leaves the older one usable */
	voldev_free(&d);
}

static void test_volume_device_size_checked(void)
{
	struct voldev d = g_vol.dev;
	d.blocks = 255;
	struct volfs_store st;
	CHECK_EQ(open_dev(&st, &d, g_vol.key, &g_vol.state), -EINVAL);
}

static void test_volume_blocks_authenticated(void)
{
	struct voldev d = voldev_copy(&g_vol.dev);
	struct volfs_store st;
	CHECK_EQ(open_dev(&st, &d, g_vol.key, &g_vol.state), 0);
	struct volfs_ptr table = st.hdr.table_root;
	u8 *buf = malloc(VOLFS_BLOCK_SIZE);
	CHECK_EQ(volfs_read_block(&st, &table, buf), 0);
	struct volfs_ptr first;
	volfs_ptr_decode(buf, &first); /* the table's first block */
	CHECK(first.block >= VOLFS_FIRST_BLOCK && first.block < 256);
	CHECK_EQ(volfs_read_block(&st, &first, buf), 0);
	CHECK_EQ(cvmfs_le32(buf + 128 + VOLFS_INO_OFF_MODE), 040755); /* inode 1: the root */
	/* every byte of the block matters */
	u64 flips = 0;
	for (u32 i = 0; i < VOLFS_BLOCK_SIZE; i += 97, flips++) {
		d.data[(u64)first.block * VOLFS_BLOCK_SIZE + i] ^= 4;
		CHECK_EQ(volfs_read_block(&st, &first, buf), -EIO);
		d.data[(u64)first.block * VOLFS_BLOCK_SIZE + i] ^= 4;
	}
	struct volfs_ptr moved = first;
	moved.block = table.block; /* another authentic block in its place */
	CHECK_EQ(volfs_read_block(&st, &moved, buf), -EIO);
	moved = first;
	moved.block = 256;
	CHECK_EQ(volfs_read_block(&st, &moved, buf), -EIO);
	struct volfs_ptr hole = { 0 };
	CHECK_EQ(volfs_read_block(&st, &hole, buf), 0);
	hole.tag[3] = 1; /* a hole with a tag is corrupt */
	CHECK_EQ(volfs_read_block(&st, &hole, buf), -EIO);
	CHECK_EQ(st.stats.auth_failures, flips + 1); /* the moved block failed its tag too */
	free(buf);
	volfs_store_close(&st);
	voldev_free(&d);
}

static const struct host_test g_tests[] = {
	{ "volume_expected_states", test_volume_expected_states },
	{ "volume_wrong_state_or_key_refused", test_volume_wrong_state_or_key_refused },
	{ "volume_header_flips_refused", test_volume_header_flips_refused },
	{ "volume_device_size_checked", test_volume_device_size_checked },
	{ "volume_blocks_authenticated", test_volume_blocks_authenticated },
};

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../tests/golden";
	if (!golden_volume_load(dir, &g_vol)) {
		fprintf(stderr, "cannot load the golden volume from %s\n", dir);
		return 1;
	}
	int status = run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])), argc - 1, argv + 1);
	voldev_free(&g_vol.dev);
	free(g_vol.json);
	return status;
}
