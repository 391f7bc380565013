/*
 * volfs_store.h: the block store of a persistent volume
 * (docs/volume-format.md): header slots and the state, authenticated
 * block reads, copy-on-write block writes, free space, and the commit
 * that switches the header.
 *
 * Trust: the device is the host. Every block is read into private memory
 * and authenticated against the pointer that names it before use; a
 * header counts only with a valid MAC, and only the expected state (from
 * the launcher's VOLUME record, measured) is accepted. A device error or
 * a failed commit marks the store broken: reads still work, every later
 * write and commit fails with -EIO (fail closed, never a half state).
 *
 * Ownership: the store owns its keys (wiped on close), bitmaps and
 * scratch block. Callers pass private buffers of whole blocks.
 */
#ifndef CVMIFY_FS_VOLFS_STORE_H
#define CVMIFY_FS_VOLFS_STORE_H

#include "crypto/crypto.h"
#include "fs/volfs_format.h"
#include "lib/types.h"

/* Where the volume's blocks live: count whole 4096-byte blocks at block,
 * to or from private memory. 0 or -EIO. flush: everything written so far
 * is durable when it returns. */
struct volfs_dev {
	int (*read)(void *ctx, u64 block, void *buf, u32 count);
	int (*write)(void *ctx, u64 block, const void *buf, u32 count);
	int (*flush)(void *ctx);
	void *ctx;
	u64 block_count;             /* device size in blocks */
};

/* One committed state, as the launcher names it. */
struct volfs_state {
	u64 generation;
	u8 root[VOLFS_ROOT_SIZE];
};

/* A decoded header slot. */
struct volfs_header {
	u8 uuid[VOLFS_UUID_SIZE];
	u64 block_count;
	u64 generation;
	u32 epoch;
	u32 flags;
	u64 table_size;
	struct volfs_ptr table_root;
	u8 table_depth;
	u64 used_blocks;
	u64 inode_count;
};

struct volfs_stats {
	u64 blocks_read;
	u64 blocks_written;
	u64 auth_failures;
	u64 commits;
	u64 flushes;
};

struct volfs_store {
	struct volfs_dev dev;
	struct volfs_header hdr;     /* the committed state */
	u8 root[VOLFS_ROOT_SIZE];    /* its volume root */
	bool writable;
	bool broken;
	struct aes_gcm_key data_key;
	u8 header_key[VOLFS_HEADER_KEY_SIZE];
	u64 counter;                 /* next nonce counter in hdr.epoch */
	/* Free space (writable stores): used = blocks of the committed
	 * state, plus blocks written by a commit in progress. pending = blocks
	 * of the committed state that the next state no longer uses; they
	 * become free once its header is durable. */
	u64 *used;
	u64 used_count;
	u32 *pending;
	u64 pending_count;
	u64 pending_cap;
	u64 cursor;                  /* next-fit allocation */
	u64 dirty_blocks;            /* reserved: blocks the next commit writes */
	u64 meta_reserve;            /* blocks only metadata changes may take */
	/* Writes are gathered into runs of consecutive blocks; reads ahead
	 * come in runs too (into their own buffer). */
	u8 *batch;
	u8 *read_run;
	u64 batch_start;
	u32 batch_count;
	struct volfs_stats stats;
};

#define VOLFS_BATCH_BLOCKS 16

/* Read both header slots, keep those whose MAC verifies under key, pick
 * the expected state (its generation and root; expected NULL: the newest,
 * for tests and tools), check every header rule. Returns 0, -EACCES (no
 * slot holds the expected state: rolled back, tampered, or a wrong key),
 * -EINVAL (a bad header or a device of the wrong size), -EIO or -ENOMEM.
 * On failure nothing stays allocated. */
int volfs_store_open(struct volfs_store *st, const struct volfs_dev *dev,
                     const u8 key[VOLFS_KEY_SIZE], const struct volfs_state *expected,
                     bool writable);

/* Release everything (keys wiped). */
void volfs_store_close(struct volfs_store *st);

/* Read the block ptr names into buf and authenticate it (a hole reads as
 * zeros). -EIO when the tag fails (buf zeroed), the pointer is out of
 * range, or the device fails. */
int volfs_read_block(struct volfs_store *st, const struct volfs_ptr *ptr, void *buf);

/* Readahead: count (<= VOLFS_BATCH_BLOCKS) pointers naming consecutive
 * blocks, read in one device request; bufs[i] gets block i
 * authenticated. Returns how many leading blocks are good (a failed
 * block and those after it are zeroed), or -EIO if the device failed. */
int volfs_read_run(struct volfs_store *st, const struct volfs_ptr *ptrs, u32 count, u8 **bufs);

/* The mount walk: block is in the committed state. -EIO if it is outside
 * the volume or already used (a corrupt tree). */
int volfs_mark_used(struct volfs_store *st, u32 block);

/* After the walk: the counts must be the header's (-EIO otherwise); then
 * the first commit takes the next epoch (the nonce rule) before anything
 * is written. Writable stores only. */
int volfs_store_begin(struct volfs_store *st, u64 inode_count);

/* Reserve count blocks for the next commit (dirtied blocks). Data needs
 * the metadata reserve left over afterwards; metadata may use it.
 * -ENOSPC, -EROFS (read-only or broken store). */
int volfs_reserve(struct volfs_store *st, u64 count, bool data);

/* Free blocks (statfs): not used, not reserved. */
u64 volfs_free_blocks(const struct volfs_store *st);

/* Encrypt plain (one block) with the next nonce into a newly allocated
 * block and return its pointer in *out; old (the version it replaces, or
 * a hole) leaves the next state. During a commit only. */
int volfs_write_block(struct volfs_store *st, const struct volfs_ptr *old, const void *plain,
                      struct volfs_ptr *out);

/* A block of the committed state that the next state does not use. */
int volfs_release(struct volfs_store *st, const struct volfs_ptr *ptr);

/* Finish a commit: write out gathered blocks, flush, write the header
 * (generation + 1, the table's root, the counts, flags) into the other
 * slot, flush; then the released blocks are free. -EIO marks the store
 * broken. */
int volfs_commit_header(struct volfs_store *st, const struct volfs_ptr *table_root,
                        u8 table_depth, u64 table_size, u64 inode_count, u32 flags);

/* Pointer codec. */
void volfs_ptr_decode(const u8 *raw, struct volfs_ptr *out);
void volfs_ptr_encode(const struct volfs_ptr *ptr, u8 *raw);
/* A hole is all zero; a block pointer names a block of the data area.
 * false: corrupt. */
bool volfs_ptr_valid(const struct volfs_store *st, const struct volfs_ptr *ptr);

#endif
