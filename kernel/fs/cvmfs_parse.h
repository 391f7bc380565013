/*
 * cvmfs_parse.h: decoders for cvmfs superblock, inode and directory
 * records. Pure functions over byte buffers, no I/O, no allocation: the
 * host unit tests and the fuzzer call them directly.
 *
 * Trust: the superblock is host input until the disk root matches; inodes
 * and records are authenticated but are still bounds-checked here (a
 * writer bug must not become a memory error). Every function returns 0 or
 * -EINVAL and fills *out only on success.
 */
#ifndef CVMIFY_FS_CVMFS_PARSE_H
#define CVMIFY_FS_CVMFS_PARSE_H

#include "lib/types.h"
#include "fs/cvmfs_format.h"

struct cvmfs_sb {
	u64 block_count;
	u64 tag_table_offset;
	u64 data_offset;
	u64 inode_table_offset;      /* logical */
	u32 inode_count;
	u32 root_inode;
	u8 salt[CVMFS_SALT_SIZE];
};

struct cvmfs_inode {
	u32 ino;
	u32 mode;
	u32 uid;
	u32 gid;
	u32 nlink;
	u64 size;
	u64 data_offset;             /* logical */
	s64 mtime_sec;
	u32 mtime_nsec;
	u32 parent;                  /* directories only */
	u32 entry_count;             /* directories only */
};

struct cvmfs_dirent {
	u32 ino;
	u16 name_len;
	u8 type;                     /* DT_DIR, DT_REG, DT_LNK */
	const u8 *name;              /* points into the parsed buffer */
	u32 record_size;             /* header + name + padding */
};

/* Bytes of the padded tag table for block_count blocks. */
u64 cvmfs_tag_table_size(u64 block_count);

/* Check every superblock rule of docs/disk-format.md, including that the
 * device (device_size bytes) holds the whole image. raw: 128 bytes. */
int cvmfs_parse_superblock(const u8 *raw, u64 device_size, struct cvmfs_sb *out);

/* Logical offset of inode ino, or -EINVAL if ino is out of range. */
int cvmfs_inode_offset(const struct cvmfs_sb *sb, u32 ino, u64 *offset);

/* Decode and check one 64-byte inode. */
int cvmfs_parse_inode(const struct cvmfs_sb *sb, u32 ino, const u8 *raw,
                      struct cvmfs_inode *out);

/* Decode one directory record from the avail bytes at rec. Checks the
 * header, the name and the padding (all within avail). */
int cvmfs_parse_dirent(const struct cvmfs_sb *sb, const u8 *rec, size_t avail,
                       struct cvmfs_dirent *out);

/* The d_type that matches an inode's mode, or 0 for an unknown type. */
u8 cvmfs_mode_dtype(u32 mode);

#endif
