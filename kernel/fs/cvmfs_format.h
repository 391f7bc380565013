/*
 * cvmfs_format.h: the on-disk layout of the encrypted root image, as drawn
 * in docs/disk-format.md (the contract with cvmify/disk/). Byte offsets
 * only: the reader decodes little-endian fields by hand, never by casting
 * a struct over disk bytes.
 */
#ifndef CVMIFY_FS_CVMFS_FORMAT_H
#define CVMIFY_FS_CVMFS_FORMAT_H

#include "lib/types.h"

#define CVMFS_BLOCK_SIZE 4096
#define CVMFS_TAG_SIZE 16
#define CVMFS_KEY_SIZE 32
#define CVMFS_ROOT_SIZE 48            /* SHA-384 */
#define CVMFS_SALT_SIZE 32
#define CVMFS_MAX_BLOCKS (1ULL << 28) /* 1 TiB */
#define CVMFS_MAX_INODES (1U << 24)
#define CVMFS_HKDF_INFO "cvmify disk v1 aes-256-gcm"

/* Superblock: first 128 bytes of the file (rest of the 4096 are zero). */
#define CVMFS_SB_SIZE 128
#define CVMFS_SB_MAGIC "CVMIFYFS"
#define CVMFS_SB_VERSION 1
#define CVMFS_SB_OFF_MAGIC 0
#define CVMFS_SB_OFF_VERSION 8
#define CVMFS_SB_OFF_BLOCK_SIZE 12
#define CVMFS_SB_OFF_BLOCK_COUNT 16
#define CVMFS_SB_OFF_TAG_TABLE 24
#define CVMFS_SB_OFF_DATA 32
#define CVMFS_SB_OFF_SALT 40
#define CVMFS_SB_OFF_INODE_TABLE 72
#define CVMFS_SB_OFF_INODE_COUNT 80
#define CVMFS_SB_OFF_ROOT_INODE 84
#define CVMFS_SB_OFF_RESERVED 88
#define CVMFS_SB_RESERVED_SIZE 40
#define CVMFS_TAG_TABLE_OFFSET 4096

/* Inode: 64 bytes, inode n at inode_table_offset + 64*(n-1). */
#define CVMFS_INODE_SIZE 64
#define CVMFS_INO_OFF_MODE 0
#define CVMFS_INO_OFF_UID 4
#define CVMFS_INO_OFF_GID 8
#define CVMFS_INO_OFF_NLINK 12
#define CVMFS_INO_OFF_SIZE 16
#define CVMFS_INO_OFF_DATA 24
#define CVMFS_INO_OFF_MTIME_SEC 32
#define CVMFS_INO_OFF_MTIME_NSEC 40
#define CVMFS_INO_OFF_PARENT 44
#define CVMFS_INO_OFF_ENTRY_COUNT 48
#define CVMFS_INO_OFF_RESERVED 52
#define CVMFS_INO_RESERVED_SIZE 12
#define CVMFS_SYMLINK_MAX 4095

/* Directory record: 8-byte header + name, padded to 4 bytes. */
#define CVMFS_DIRENT_HEADER 8
#define CVMFS_DIRENT_OFF_INODE 0
#define CVMFS_DIRENT_OFF_NAME_LEN 4
#define CVMFS_DIRENT_OFF_TYPE 6
#define CVMFS_DIRENT_OFF_RESERVED 7
#define CVMFS_NAME_MAX 255

static inline u16 cvmfs_le16(const u8 *p)
{
	return (u16)(p[0] | (p[1] << 8));
}

static inline u32 cvmfs_le32(const u8 *p)
{
	return (u32)p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24);
}

static inline u64 cvmfs_le64(const u8 *p)
{
	return (u64)cvmfs_le32(p) | ((u64)cvmfs_le32(p + 4) << 32);
}

#endif
