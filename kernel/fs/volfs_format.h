/*
 * volfs_format.h: the on-disk layout of a persistent volume, as drawn in
 * docs/volume-format.md (the contract with cvmify/volume/). Byte offsets
 * only: fields are decoded and encoded by hand (the cvmfs_le* readers and
 * the put_le* writers below), never by casting a struct over disk bytes.
 */
#ifndef CVMIFY_FS_VOLFS_FORMAT_H
#define CVMIFY_FS_VOLFS_FORMAT_H

#include "fs/cvmfs_format.h"
#include "lib/types.h"

#define VOLFS_BLOCK_SIZE 4096
#define VOLFS_KEY_SIZE 32
#define VOLFS_ROOT_SIZE 48           /* SHA-384 of a header slot */
#define VOLFS_UUID_SIZE 16
#define VOLFS_NONCE_SIZE 12
#define VOLFS_TAG_SIZE 16
#define VOLFS_FIRST_BLOCK 2          /* blocks 0 and 1: header slots A and B */
#define VOLFS_MIN_BLOCKS 256ULL
#define VOLFS_MAX_BLOCKS (1ULL << 28)
#define VOLFS_MAX_INODES (1U << 24)
#define VOLFS_ROOT_INO 1
#define VOLFS_MAX_DEPTH 4
#define VOLFS_FANOUT 128             /* pointers per node */
#define VOLFS_FANOUT_SHIFT 7
#define VOLFS_DATA_INFO "cvmify volume v1 data"
#define VOLFS_HEADER_INFO "cvmify volume v1 header"
#define VOLFS_HEADER_KEY_SIZE 48

/* Header slot: 256 bytes at the start of block 0 (A) or 1 (B). */
#define VOLFS_HDR_SIZE 256
#define VOLFS_HDR_MAGIC "CVMIFYVL"
#define VOLFS_HDR_VERSION 1
#define VOLFS_HDR_OFF_MAGIC 0
#define VOLFS_HDR_OFF_VERSION 8
#define VOLFS_HDR_OFF_BLOCK_SIZE 12
#define VOLFS_HDR_OFF_UUID 16
#define VOLFS_HDR_OFF_BLOCK_COUNT 32
#define VOLFS_HDR_OFF_GENERATION 40
#define VOLFS_HDR_OFF_EPOCH 48
#define VOLFS_HDR_OFF_FLAGS 52
#define VOLFS_HDR_OFF_TABLE_SIZE 56
#define VOLFS_HDR_OFF_TABLE_ROOT 64
#define VOLFS_HDR_OFF_TABLE_DEPTH 96
#define VOLFS_HDR_OFF_RESERVED1 97
#define VOLFS_HDR_OFF_USED 104
#define VOLFS_HDR_OFF_INODES 112
#define VOLFS_HDR_OFF_RESERVED2 120
#define VOLFS_HDR_OFF_MAC 208
#define VOLFS_HDR_MAC_SIZE 48
#define VOLFS_FLAG_FRESH 1u

/* Block pointer: u32 block (0 = hole), nonce, tag. */
#define VOLFS_PTR_SIZE 32
#define VOLFS_PTR_OFF_BLOCK 0
#define VOLFS_PTR_OFF_NONCE 4
#define VOLFS_PTR_OFF_TAG 16

/* Inode: 128 bytes, slot n at offset 128*n of the inode table. */
#define VOLFS_INODE_SIZE 128
#define VOLFS_INODES_PER_BLOCK 32
#define VOLFS_INO_OFF_MODE 0
#define VOLFS_INO_OFF_UID 4
#define VOLFS_INO_OFF_GID 8
#define VOLFS_INO_OFF_NLINK 12
#define VOLFS_INO_OFF_SIZE 16
#define VOLFS_INO_OFF_ATIME 24
#define VOLFS_INO_OFF_MTIME 32
#define VOLFS_INO_OFF_CTIME 40
#define VOLFS_INO_OFF_ATIME_NSEC 48
#define VOLFS_INO_OFF_MTIME_NSEC 52
#define VOLFS_INO_OFF_CTIME_NSEC 56
#define VOLFS_INO_OFF_PARENT 60
#define VOLFS_INO_OFF_ROOT 64
#define VOLFS_INO_OFF_DEPTH 96
#define VOLFS_INO_OFF_RESERVED1 97
#define VOLFS_INO_OFF_BLOCKS 104
#define VOLFS_INO_OFF_RESERVED2 112

/* Directory record: u32 inode, u16 rec_len, u8 name_len, u8 type, name. */
#define VOLFS_DIRENT_HEADER 8
#define VOLFS_NAME_MAX 255
#define VOLFS_SYMLINK_MAX 4095

/* A block pointer, decoded. */
struct volfs_ptr {
	u32 block;                   /* 0: a hole */
	u8 nonce[VOLFS_NONCE_SIZE];
	u8 tag[VOLFS_TAG_SIZE];
};

static inline void volfs_put_le16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static inline void volfs_put_le32(u8 *p, u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (u8)(v >> (8 * i));
}

static inline void volfs_put_le64(u8 *p, u64 v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (u8)(v >> (8 * i));
}

/* Bytes an object of this depth can hold: 4096 * 128^depth. */
static inline u64 volfs_capacity(u32 depth)
{
	return (u64)VOLFS_BLOCK_SIZE << (VOLFS_FANOUT_SHIFT * depth);
}

#endif
