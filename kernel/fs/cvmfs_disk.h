/*
 * cvmfs_disk.h: the authenticated block layer of cvmfs.
 *
 * Opens an image through a block source (virtio-blk in the kernel, a file
 * in host tests), checks the superblock, reads the tag table into private
 * memory, compares the disk root with the expected (measured) root, and
 * then serves logical reads: each 4096-byte block is decrypted and
 * authenticated before any byte of it is used; a block that fails makes
 * the read fail with -EIO. Authenticated plaintext is kept in a small
 * private LRU cache.
 */
#ifndef CVMIFY_FS_CVMFS_DISK_H
#define CVMIFY_FS_CVMFS_DISK_H

#include "lib/types.h"
#include "crypto/crypto.h"
#include "fs/cvmfs_parse.h"

/* Where the encrypted image bytes come from. read: size bytes at the
 * device offset (both multiples of 512) into private memory; 0 or -EIO. */
struct cvmfs_source {
	int (*read)(void *ctx, u64 offset, void *buf, size_t size);
	void *ctx;
	u64 size;                 /* device size in bytes */
};

#define CVMFS_CACHE_BLOCKS 64

struct cvmfs_cache_entry {
	u64 block;
	u64 last_use;
	bool valid;
	u8 *data;                 /* CVMFS_BLOCK_SIZE bytes, private */
};

struct cvmfs_disk {
	struct cvmfs_source src;
	struct cvmfs_sb sb;
	u8 root[CVMFS_ROOT_SIZE];
	u8 *tags;                 /* private copy, 16 * block_count bytes used */
	struct aes_gcm_key *key;  /* the image key, expanded (a crypto slot) */
	u8 *scratch;              /* one block for ciphertext */
	struct cvmfs_cache_entry cache[CVMFS_CACHE_BLOCKS];
	u64 use_clock;
	u64 failed_blocks;        /* blocks that did not authenticate */
};

/* Open and verify. expected_root: the measured DISK_ROOT (48 bytes). With
 * disk_key NULL only the root is checked (nothing can be read after).
 * Returns 0; -EINVAL for a bad superblock; -EACCES when the root does not
 * match (refuse to boot); -EIO / -ENOMEM otherwise. On failure nothing is
 * left allocated. */
int cvmfs_disk_open(struct cvmfs_disk *disk, const struct cvmfs_source *src,
                    const u8 disk_key[CVMFS_KEY_SIZE],
                    const u8 expected_root[CVMFS_ROOT_SIZE]);

/* Read size bytes at a logical offset (inside the image) into buf.
 * Returns 0, -EIO if a block does not authenticate, -EINVAL if the range
 * is outside the image. */
int cvmfs_disk_read(struct cvmfs_disk *disk, u64 offset, void *buf, size_t size);

void cvmfs_disk_close(struct cvmfs_disk *disk);

#endif
