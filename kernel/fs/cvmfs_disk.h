/*
 * cvmfs_disk.h: the authenticated block layer of cvmfs.
 *
 * Opens an image through a block source (virtio-blk in the kernel, a file
 * in host tests), checks the superblock, reads the tag table into private
 * memory, compares the disk root with the expected (measured) root, and
 * then serves logical reads: each 4096-byte block is decrypted and
 * authenticated before any byte of it is used; a block that fails makes
 * the read fail with -EIO and is never cached. Authenticated plaintext is
 * kept in the page cache (cvmfs_cache.h) until memory pressure evicts it.
 */
#ifndef CVMIFY_FS_CVMFS_DISK_H
#define CVMIFY_FS_CVMFS_DISK_H

#include "lib/types.h"
#include "crypto/crypto.h"
#include "fs/cvmfs_cache.h"
#include "fs/cvmfs_parse.h"

/* Where the encrypted image bytes come from. read: size bytes at the
 * device offset (both multiples of 512) into private memory; 0 or -EIO.
 * A source may also read ahead without waiting (both NULL if not):
 * read_start begins one read of at most CVMFS_READ_BLOCKS blocks,
 * read_finish waits for it and copies it into buf (NULL: drop it). */
struct cvmfs_source {
	int (*read)(void *ctx, u64 offset, void *buf, size_t size);
	int (*read_start)(void *ctx, u64 offset, size_t size);
	int (*read_finish)(void *ctx, void *buf);
	void *ctx;
	u64 size;                 /* device size in bytes */
};

/* Most blocks one device request reads (readahead included). */
#define CVMFS_READ_BLOCKS 16

struct cvmfs_disk {
	struct cvmfs_source src;
	struct cvmfs_sb sb;
	u8 root[CVMFS_ROOT_SIZE];
	u8 *tags;                 /* private copy, 16 * block_count bytes used */
	struct aes_gcm_key *key;  /* the image key, expanded (a crypto slot) */
	u8 *ciphertext;           /* CVMFS_READ_BLOCKS blocks from the device */
	bool ahead;               /* a read-ahead is outstanding at the source */
	u64 ahead_block;          /* its first block */
	u64 ahead_count;          /* and how many */
	u64 ahead_used;           /* read-aheads that a later miss used */
	struct cvmfs_cache cache;
	bool cache_ready;
	u64 failed_blocks;        /* block reads that did not authenticate */
	u64 device_reads;         /* requests to the source */
	u64 blocks_read;          /* blocks those requests read */
	u64 device_ns;            /* time those requests took */
	u64 decrypt_ns;           /* time in AES-GCM (decrypt + tag check) */
	u64 blocks_decrypted;
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

/* The same, handing each block's bytes straight from the page cache to
 * c (fs/vfs.h); returns how many bytes moved before a copy faulted, or
 * the error when none did. */
struct vfs_copier;
long cvmfs_disk_read_to(struct cvmfs_disk *disk, u64 offset, size_t size, struct vfs_copier *c);

/* The authenticated plaintext of one block: *page gets a reference to
 * the cache page (page_put when done). want: how many blocks from this
 * one on the caller will read (a hint for readahead, at least 1).
 * Returns 0, -EIO (the block failed its tag, or the device failed),
 * -EINVAL (beyond the image) or -ENOMEM. */
int cvmfs_block_get(struct cvmfs_disk *disk, u64 block, u64 want, u8 **page);

void cvmfs_disk_close(struct cvmfs_disk *disk);

/* One log line: cache hits/misses/evictions, device requests, failed
 * blocks and the AES-GCM cost per 4 KiB block (the benchmarks read it). */
void cvmfs_disk_log_stats(const struct cvmfs_disk *disk);

#endif
