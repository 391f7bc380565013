/*
 * fuzz_cvmfs_parse.c: the cvmfs decoders on raw bytes: a superblock
 * (with a device size from the input), inodes, and a run of directory
 * records walked the way a directory listing walks them. Every buffer is
 * exactly sized, so any read past it is an ASan report.
 */
#include <stdio.h>

#include "fs/cvmfs_parse.h"
#include "fuzz_input.h"

static void records(const struct cvmfs_sb *sb, const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	size_t at = 0;
	while (at < size) {
		struct cvmfs_dirent d;
		if (cvmfs_parse_dirent(sb, buf + at, size - at, &d) != 0)
			break;
		FUZZ_ASSERT(d.record_size > 0 && d.record_size <= size - at);
		FUZZ_ASSERT(d.name >= buf + at && d.name + d.name_len <= buf + size);
		at += d.record_size;
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < CVMFS_SB_SIZE + 8)
		return 0;
	struct fuzz_input in = {data + CVMFS_SB_SIZE, size - CVMFS_SB_SIZE, 0};
	uint8_t *raw = malloc(CVMFS_SB_SIZE);
	memcpy(raw, data, CVMFS_SB_SIZE);
	u64 device_size = fuzz_u64(&in) % (1ull << 40);
	struct cvmfs_sb sb;
	int err = cvmfs_parse_superblock(raw, device_size, &sb);
	free(raw);
	if (err != 0) {
		/* Keep exercising the decoders with a plausible superblock. */
		memset(&sb, 0, sizeof(sb));
		sb.block_count = 1 + fuzz_u32(&in) % 4096;
		sb.inode_count = 1 + fuzz_u32(&in) % 1024;
		sb.inode_table_offset = CVMFS_BLOCK_SIZE;
		sb.root_inode = 1;
	}
	u64 offset;
	u32 ino = fuzz_u32(&in);
	(void)cvmfs_inode_offset(&sb, ino, &offset);
	size_t rest = in.size - in.pos;
	if (rest >= CVMFS_INODE_SIZE) {
		uint8_t *inode = malloc(CVMFS_INODE_SIZE);
		memcpy(inode, in.data + in.pos, CVMFS_INODE_SIZE);
		struct cvmfs_inode ci;
		(void)cvmfs_parse_inode(&sb, ino, inode, &ci);
		free(inode);
		in.pos += CVMFS_INODE_SIZE;
	}
	records(&sb, in.data + in.pos, in.size - in.pos);
	return 0;
}
