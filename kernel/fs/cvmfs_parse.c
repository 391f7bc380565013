/*
 * cvmfs_parse.c: bounds-checked decoders for the cvmfs on-disk format
 * (docs/disk-format.md). Everything here is arithmetic on byte buffers;
 * each sum that involves a disk value is checked for overflow.
 */
#include "fs/cvmfs_parse.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "syscalls/linux_abi/errno.h"

static bool all_zero(const u8 *p, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* a + b <= limit, without overflow. */
static bool fits(u64 a, u64 b, u64 limit)
{
	return a <= limit && b <= limit - a;
}

u64 cvmfs_tag_table_size(u64 block_count)
{
	u64 bytes = block_count * CVMFS_TAG_SIZE;
	return (bytes + CVMFS_BLOCK_SIZE - 1) & ~(u64)(CVMFS_BLOCK_SIZE - 1);
}

int cvmfs_parse_superblock(const u8 *raw, u64 device_size, struct cvmfs_sb *out)
{
	struct cvmfs_sb sb;

	if (memcmp(raw + CVMFS_SB_OFF_MAGIC, CVMFS_SB_MAGIC, 8) != 0)
		return -EINVAL;
	if (cvmfs_le32(raw + CVMFS_SB_OFF_VERSION) != CVMFS_SB_VERSION)
		return -EINVAL;
	if (cvmfs_le32(raw + CVMFS_SB_OFF_BLOCK_SIZE) != CVMFS_BLOCK_SIZE)
		return -EINVAL;
	sb.block_count = cvmfs_le64(raw + CVMFS_SB_OFF_BLOCK_COUNT);
	if (sb.block_count < 1 || sb.block_count > CVMFS_MAX_BLOCKS)
		return -EINVAL;
	sb.tag_table_offset = cvmfs_le64(raw + CVMFS_SB_OFF_TAG_TABLE);
	if (sb.tag_table_offset != CVMFS_TAG_TABLE_OFFSET)
		return -EINVAL;
	sb.data_offset = cvmfs_le64(raw + CVMFS_SB_OFF_DATA);
	if (sb.data_offset != CVMFS_TAG_TABLE_OFFSET + cvmfs_tag_table_size(sb.block_count))
		return -EINVAL;
	memcpy(sb.salt, raw + CVMFS_SB_OFF_SALT, CVMFS_SALT_SIZE);
	sb.inode_table_offset = cvmfs_le64(raw + CVMFS_SB_OFF_INODE_TABLE);
	sb.inode_count = cvmfs_le32(raw + CVMFS_SB_OFF_INODE_COUNT);
	sb.root_inode = cvmfs_le32(raw + CVMFS_SB_OFF_ROOT_INODE);
	if (sb.inode_count < 1 || sb.inode_count > CVMFS_MAX_INODES || sb.root_inode != 1)
		return -EINVAL;
	if (!all_zero(raw + CVMFS_SB_OFF_RESERVED, CVMFS_SB_RESERVED_SIZE))
		return -EINVAL;

	/* Block count <= 2^28, so these products cannot overflow. */
	u64 logical_size = sb.block_count * CVMFS_BLOCK_SIZE;
	if (sb.inode_table_offset % CVMFS_INODE_SIZE != 0)
		return -EINVAL;
	if (!fits(sb.inode_table_offset, (u64)sb.inode_count * CVMFS_INODE_SIZE, logical_size))
		return -EINVAL;
	if (!fits(sb.data_offset, logical_size, device_size))
		return -EINVAL;

	*out = sb;
	return 0;
}

int cvmfs_inode_offset(const struct cvmfs_sb *sb, u32 ino, u64 *offset)
{
	if (ino < 1 || ino > sb->inode_count)
		return -EINVAL;
	*offset = sb->inode_table_offset + (u64)(ino - 1) * CVMFS_INODE_SIZE;
	return 0;
}

u8 cvmfs_mode_dtype(u32 mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return DT_DIR;
	case S_IFREG:
		return DT_REG;
	case S_IFLNK:
		return DT_LNK;
	default:
		return 0;
	}
}

/* Type-specific rules: sizes, parent and entry count. */
static int check_inode_kind(const struct cvmfs_sb *sb, const struct cvmfs_inode *in)
{
	switch (in->mode & S_IFMT) {
	case S_IFDIR:
		if (in->parent < 1 || in->parent > sb->inode_count)
			return -EINVAL;
		if (in->ino == sb->root_inode && in->parent != sb->root_inode)
			return -EINVAL;
		/* The smallest record is 12 bytes (8 + 1-byte name + padding). */
		if ((u64)in->entry_count * 12 > in->size)
			return -EINVAL;
		if (in->size % 4 != 0)
			return -EINVAL;
		return 0;
	case S_IFLNK:
		if (in->size < 1 || in->size > CVMFS_SYMLINK_MAX)
			return -EINVAL;
		break;
	case S_IFREG:
		break;
	default:
		return -EINVAL;
	}
	if (in->ino == sb->root_inode)
		return -EINVAL; /* the root must be a directory */
	if (in->parent != 0 || in->entry_count != 0)
		return -EINVAL;
	return 0;
}

int cvmfs_parse_inode(const struct cvmfs_sb *sb, u32 ino, const u8 *raw,
                      struct cvmfs_inode *out)
{
	struct cvmfs_inode in;

	if (ino < 1 || ino > sb->inode_count)
		return -EINVAL;
	in.ino = ino;
	in.mode = cvmfs_le32(raw + CVMFS_INO_OFF_MODE);
	in.uid = cvmfs_le32(raw + CVMFS_INO_OFF_UID);
	in.gid = cvmfs_le32(raw + CVMFS_INO_OFF_GID);
	in.nlink = cvmfs_le32(raw + CVMFS_INO_OFF_NLINK);
	in.size = cvmfs_le64(raw + CVMFS_INO_OFF_SIZE);
	in.data_offset = cvmfs_le64(raw + CVMFS_INO_OFF_DATA);
	in.mtime_sec = (s64)cvmfs_le64(raw + CVMFS_INO_OFF_MTIME_SEC);
	in.mtime_nsec = cvmfs_le32(raw + CVMFS_INO_OFF_MTIME_NSEC);
	in.parent = cvmfs_le32(raw + CVMFS_INO_OFF_PARENT);
	in.entry_count = cvmfs_le32(raw + CVMFS_INO_OFF_ENTRY_COUNT);

	if (in.mode & ~(u32)(S_IFMT | 07777))
		return -EINVAL;
	if (in.mtime_nsec >= 1000000000U)
		return -EINVAL;
	if (!all_zero(raw + CVMFS_INO_OFF_RESERVED, CVMFS_INO_RESERVED_SIZE))
		return -EINVAL;
	if (!fits(in.data_offset, in.size, sb->block_count * CVMFS_BLOCK_SIZE))
		return -EINVAL;
	int err = check_inode_kind(sb, &in);
	if (err < 0)
		return err;
	*out = in;
	return 0;
}

static bool name_is_valid(const u8 *name, u16 len)
{
	if (len == 1 && name[0] == '.')
		return false;
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return false;
	for (u16 i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == 0)
			return false;
	return true;
}

int cvmfs_parse_dirent(const struct cvmfs_sb *sb, const u8 *rec, size_t avail,
                       struct cvmfs_dirent *out)
{
	struct cvmfs_dirent d;

	if (avail < CVMFS_DIRENT_HEADER)
		return -EINVAL;
	d.ino = cvmfs_le32(rec + CVMFS_DIRENT_OFF_INODE);
	d.name_len = cvmfs_le16(rec + CVMFS_DIRENT_OFF_NAME_LEN);
	d.type = rec[CVMFS_DIRENT_OFF_TYPE];
	if (d.ino < 1 || d.ino > sb->inode_count)
		return -EINVAL;
	if (d.name_len < 1 || d.name_len > CVMFS_NAME_MAX)
		return -EINVAL;
	if (d.type != DT_DIR && d.type != DT_REG && d.type != DT_LNK)
		return -EINVAL;
	if (rec[CVMFS_DIRENT_OFF_RESERVED] != 0)
		return -EINVAL;
	d.record_size = (CVMFS_DIRENT_HEADER + d.name_len + 3U) & ~3U;
	if (d.record_size > avail)
		return -EINVAL;
	d.name = rec + CVMFS_DIRENT_HEADER;
	if (!name_is_valid(d.name, d.name_len))
		return -EINVAL;
	if (!all_zero(d.name + d.name_len, d.record_size - CVMFS_DIRENT_HEADER - d.name_len))
		return -EINVAL;
	*out = d;
	return 0;
}
