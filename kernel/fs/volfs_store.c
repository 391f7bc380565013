/*
 * volfs_store.c: header slots, authenticated blocks, copy-on-write
 * allocation and the header switch of a volume (volfs_store.h,
 * docs/volume-format.md "Commit" and "Reader obligations").
 *
 * Every value from the device is checked here or by the tree code before
 * use: header slots count only with a valid MAC and are then checked rule
 * by rule; blocks are decrypted into private memory and used only if
 * their tag matches the pointer that named them.
 */
#include "fs/volfs_store.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "syscalls/linux_abi/errno.h"

#define BITS_PER_WORD 64

static bool all_zero(const u8 *p, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != 0)
			return false;
	return true;
}

void volfs_ptr_decode(const u8 *raw, struct volfs_ptr *out)
{
	out->block = cvmfs_le32(raw + VOLFS_PTR_OFF_BLOCK);
	memcpy(out->nonce, raw + VOLFS_PTR_OFF_NONCE, VOLFS_NONCE_SIZE);
	memcpy(out->tag, raw + VOLFS_PTR_OFF_TAG, VOLFS_TAG_SIZE);
}

void volfs_ptr_encode(const struct volfs_ptr *ptr, u8 *raw)
{
	volfs_put_le32(raw + VOLFS_PTR_OFF_BLOCK, ptr->block);
	memcpy(raw + VOLFS_PTR_OFF_NONCE, ptr->nonce, VOLFS_NONCE_SIZE);
	memcpy(raw + VOLFS_PTR_OFF_TAG, ptr->tag, VOLFS_TAG_SIZE);
}

bool volfs_ptr_valid(const struct volfs_store *st, const struct volfs_ptr *ptr)
{
	if (ptr->block == 0)
		return all_zero(ptr->nonce, VOLFS_NONCE_SIZE) && all_zero(ptr->tag, VOLFS_TAG_SIZE);
	return ptr->block >= VOLFS_FIRST_BLOCK && ptr->block < st->hdr.block_count;
}

/* ---- header slots ---- */

static void decode_header(const u8 *raw, struct volfs_header *h)
{
	memcpy(h->uuid, raw + VOLFS_HDR_OFF_UUID, VOLFS_UUID_SIZE);
	h->block_count = cvmfs_le64(raw + VOLFS_HDR_OFF_BLOCK_COUNT);
	h->generation = cvmfs_le64(raw + VOLFS_HDR_OFF_GENERATION);
	h->epoch = cvmfs_le32(raw + VOLFS_HDR_OFF_EPOCH);
	h->flags = cvmfs_le32(raw + VOLFS_HDR_OFF_FLAGS);
	h->table_size = cvmfs_le64(raw + VOLFS_HDR_OFF_TABLE_SIZE);
	volfs_ptr_decode(raw + VOLFS_HDR_OFF_TABLE_ROOT, &h->table_root);
	h->table_depth = raw[VOLFS_HDR_OFF_TABLE_DEPTH];
	h->used_blocks = cvmfs_le64(raw + VOLFS_HDR_OFF_USED);
	h->inode_count = cvmfs_le64(raw + VOLFS_HDR_OFF_INODES);
}

static void encode_header(const struct volfs_header *h, u8 *raw)
{
	memset(raw, 0, VOLFS_HDR_SIZE);
	memcpy(raw + VOLFS_HDR_OFF_MAGIC, VOLFS_HDR_MAGIC, 8);
	volfs_put_le32(raw + VOLFS_HDR_OFF_VERSION, VOLFS_HDR_VERSION);
	volfs_put_le32(raw + VOLFS_HDR_OFF_BLOCK_SIZE, VOLFS_BLOCK_SIZE);
	memcpy(raw + VOLFS_HDR_OFF_UUID, h->uuid, VOLFS_UUID_SIZE);
	volfs_put_le64(raw + VOLFS_HDR_OFF_BLOCK_COUNT, h->block_count);
	volfs_put_le64(raw + VOLFS_HDR_OFF_GENERATION, h->generation);
	volfs_put_le32(raw + VOLFS_HDR_OFF_EPOCH, h->epoch);
	volfs_put_le32(raw + VOLFS_HDR_OFF_FLAGS, h->flags);
	volfs_put_le64(raw + VOLFS_HDR_OFF_TABLE_SIZE, h->table_size);
	volfs_ptr_encode(&h->table_root, raw + VOLFS_HDR_OFF_TABLE_ROOT);
	raw[VOLFS_HDR_OFF_TABLE_DEPTH] = h->table_depth;
	volfs_put_le64(raw + VOLFS_HDR_OFF_USED, h->used_blocks);
	volfs_put_le64(raw + VOLFS_HDR_OFF_INODES, h->inode_count);
}

static void header_key(const u8 key[VOLFS_KEY_SIZE], const u8 *uuid, u8 out[VOLFS_HEADER_KEY_SIZE])
{
	hkdf_sha384(key, VOLFS_KEY_SIZE, uuid, VOLFS_UUID_SIZE, VOLFS_HEADER_INFO,
	            sizeof(VOLFS_HEADER_INFO) - 1, out, VOLFS_HEADER_KEY_SIZE);
}

/* A slot holds a state: magic, and a MAC that verifies under key. */
static bool slot_valid(const u8 *raw, const u8 key[VOLFS_KEY_SIZE])
{
	if (memcmp(raw + VOLFS_HDR_OFF_MAGIC, VOLFS_HDR_MAGIC, 8) != 0)
		return false;
	u8 hkey[VOLFS_HEADER_KEY_SIZE];
	u8 mac[SHA384_SIZE];
	header_key(key, raw + VOLFS_HDR_OFF_UUID, hkey);
	hmac_sha384(hkey, sizeof(hkey), raw, VOLFS_HDR_OFF_MAC, mac);
	memzero_explicit(hkey, sizeof(hkey));
	return memcmp_ct(mac, raw + VOLFS_HDR_OFF_MAC, VOLFS_HDR_MAC_SIZE) == 0;
}

/* The header rules of docs/volume-format.md, for the slot at index. */
static int check_header(const u8 *raw, u32 index, const struct volfs_header *h, u64 device_blocks)
{
	if (cvmfs_le32(raw + VOLFS_HDR_OFF_VERSION) != VOLFS_HDR_VERSION ||
	    cvmfs_le32(raw + VOLFS_HDR_OFF_BLOCK_SIZE) != VOLFS_BLOCK_SIZE)
		return -EINVAL;
	if (h->block_count < VOLFS_MIN_BLOCKS || h->block_count > VOLFS_MAX_BLOCKS ||
	    h->block_count != device_blocks)
		return -EINVAL;
	if (h->generation < 1 || (h->generation % 2 == 1 ? 0u : 1u) != index)
		return -EINVAL;
	if (h->epoch < 1 || (h->flags & ~VOLFS_FLAG_FRESH) != 0)
		return -EINVAL;
	if (h->table_size < VOLFS_BLOCK_SIZE || h->table_size % VOLFS_BLOCK_SIZE != 0 ||
	    h->table_size > (u64)VOLFS_INODE_SIZE * VOLFS_MAX_INODES)
		return -EINVAL;
	if (h->table_depth > VOLFS_MAX_DEPTH || h->table_size > volfs_capacity(h->table_depth))
		return -EINVAL;
	if (!all_zero(raw + VOLFS_HDR_OFF_RESERVED1, VOLFS_HDR_OFF_USED - VOLFS_HDR_OFF_RESERVED1) ||
	    !all_zero(raw + VOLFS_HDR_OFF_RESERVED2, VOLFS_HDR_OFF_MAC - VOLFS_HDR_OFF_RESERVED2))
		return -EINVAL;
	return 0;
}

/* Choose among the valid slots (docs: "Reader obligations", step 2). */
static int pick_slot(u8 *const raw[2], const bool valid[2], const struct volfs_state *expected)
{
	int chosen = -1;
	u64 best = 0;
	for (int i = 0; i < 2; i++) {
		if (!valid[i])
			continue;
		u64 gen = cvmfs_le64(raw[i] + VOLFS_HDR_OFF_GENERATION);
		if (expected != NULL) {
			u8 root[SHA384_SIZE];
			sha384(raw[i], VOLFS_HDR_SIZE, root);
			if (gen == expected->generation &&
			    memcmp_ct(root, expected->root, VOLFS_ROOT_SIZE) == 0)
				return i;
		} else if (chosen < 0 || gen > best) {
			chosen = i;
			best = gen;
		}
	}
	return chosen;
}

static int load_state(struct volfs_store *st, const u8 key[VOLFS_KEY_SIZE],
                      const struct volfs_state *expected)
{
	u8 *slots = kmalloc(2 * VOLFS_BLOCK_SIZE);
	if (slots == NULL)
		return -ENOMEM;
	int err = st->dev.read(st->dev.ctx, 0, slots, 2);
	if (err < 0) {
		kfree(slots);
		return -EIO;
	}
	u8 *raw[2] = { slots, slots + VOLFS_BLOCK_SIZE };
	bool valid[2];
	for (int i = 0; i < 2; i++)
		valid[i] = slot_valid(raw[i], key);
	int index = pick_slot(raw, valid, expected);
	if (index < 0) {
		kfree(slots);
		return -EACCES;
	}
	decode_header(raw[index], &st->hdr);
	err = check_header(raw[index], (u32)index, &st->hdr, st->dev.block_count);
	if (err == 0 && valid[1 - index] &&
	    memcmp(raw[1 - index] + VOLFS_HDR_OFF_UUID, st->hdr.uuid, VOLFS_UUID_SIZE) != 0)
		err = -EINVAL; /* two volumes in one file */
	sha384(raw[index], VOLFS_HDR_SIZE, st->root);
	kfree(slots);
	return err;
}

static void derive_keys(struct volfs_store *st, const u8 key[VOLFS_KEY_SIZE])
{
	u8 data_key[32];
	hkdf_sha384(key, VOLFS_KEY_SIZE, st->hdr.uuid, VOLFS_UUID_SIZE, VOLFS_DATA_INFO,
	            sizeof(VOLFS_DATA_INFO) - 1, data_key, sizeof(data_key));
	aes_gcm_key_init(&st->data_key, data_key);
	memzero_explicit(data_key, sizeof(data_key));
	header_key(key, st->hdr.uuid, st->header_key);
}

int volfs_store_open(struct volfs_store *st, const struct volfs_dev *dev,
                     const u8 key[VOLFS_KEY_SIZE], const struct volfs_state *expected,
                     bool writable)
{
	memset(st, 0, sizeof(*st));
	st->dev = *dev;
	st->writable = writable;
	int err = load_state(st, key, expected);
	if (err < 0)
		return err;
	derive_keys(st, key);
	st->batch = kmalloc(VOLFS_BATCH_BLOCKS * VOLFS_BLOCK_SIZE);
	st->read_run = kmalloc(VOLFS_BATCH_BLOCKS * VOLFS_BLOCK_SIZE);
	if (st->batch == NULL || st->read_run == NULL) {
		volfs_store_close(st);
		return -ENOMEM;
	}
	/* A read-only store keeps the bitmap too: the walk finds blocks used
	 * twice either way. */
	u64 words = (st->hdr.block_count + BITS_PER_WORD - 1) / BITS_PER_WORD;
	st->used = kzalloc(words * sizeof(u64));
	if (st->used == NULL) {
		volfs_store_close(st);
		return -ENOMEM;
	}
	st->cursor = VOLFS_FIRST_BLOCK;
	st->meta_reserve = MAX(16, st->hdr.block_count / 256);
	return 0;
}

void volfs_store_close(struct volfs_store *st)
{
	aes_gcm_key_wipe(&st->data_key);
	memzero_explicit(st->header_key, sizeof(st->header_key));
	if (st->batch != NULL)
		kfree(st->batch);
	if (st->read_run != NULL)
		kfree(st->read_run);
	if (st->used != NULL)
		kfree(st->used);
	if (st->pending != NULL)
		kfree(st->pending);
	st->batch = NULL;
	st->read_run = NULL;
	st->used = NULL;
	st->pending = NULL;
}

/* ---- reading ---- */

int volfs_read_block(struct volfs_store *st, const struct volfs_ptr *ptr, void *buf)
{
	if (!volfs_ptr_valid(st, ptr))
		return -EIO;
	if (ptr->block == 0) {
		memset(buf, 0, VOLFS_BLOCK_SIZE);
		return 0;
	}
	if (st->dev.read(st->dev.ctx, ptr->block, buf, 1) < 0) {
		memset(buf, 0, VOLFS_BLOCK_SIZE);
		return -EIO;
	}
	st->stats.blocks_read++;
	if (aes_gcm_decrypt(&st->data_key, ptr->nonce, buf, VOLFS_BLOCK_SIZE, ptr->tag) < 0) {
		st->stats.auth_failures++;
		kprintf("volfs: block %u failed authentication\n", ptr->block);
		return -EIO;
	}
	return 0;
}

int volfs_read_run(struct volfs_store *st, const struct volfs_ptr *ptrs, u32 count, u8 **bufs)
{
	for (u32 i = 0; i < count; i++) {
		if (ptrs[i].block == 0 || !volfs_ptr_valid(st, &ptrs[i]) ||
		    ptrs[i].block != ptrs[0].block + i || i >= VOLFS_BATCH_BLOCKS)
			return -EIO; /* a caller bug: only runs of real blocks */
	}
	if (st->dev.read(st->dev.ctx, ptrs[0].block, st->read_run, count) < 0)
		return -EIO;
	st->stats.blocks_read += count;
	for (u32 i = 0; i < count; i++) {
		memcpy(bufs[i], st->read_run + (u64)i * VOLFS_BLOCK_SIZE, VOLFS_BLOCK_SIZE);
		if (aes_gcm_decrypt(&st->data_key, ptrs[i].nonce, bufs[i], VOLFS_BLOCK_SIZE, ptrs[i].tag) < 0) {
			st->stats.auth_failures++;
			kprintf("volfs: block %u failed authentication\n", ptrs[i].block);
			for (u32 k = i; k < count; k++)
				memset(bufs[k], 0, VOLFS_BLOCK_SIZE);
			return (int)i;
		}
	}
	return (int)count;
}

/* ---- free space ---- */

static bool bit_test(const u64 *map, u64 bit)
{
	return (map[bit / BITS_PER_WORD] >> (bit % BITS_PER_WORD)) & 1;
}

static void bit_set(u64 *map, u64 bit)
{
	map[bit / BITS_PER_WORD] |= 1ULL << (bit % BITS_PER_WORD);
}

static void bit_clear(u64 *map, u64 bit)
{
	map[bit / BITS_PER_WORD] &= ~(1ULL << (bit % BITS_PER_WORD));
}

int volfs_mark_used(struct volfs_store *st, u32 block)
{
	if (block < VOLFS_FIRST_BLOCK || block >= st->hdr.block_count)
		return -EIO;
	if (bit_test(st->used, block))
		return -EIO; /* two pointers to one block */
	bit_set(st->used, block);
	st->used_count++;
	return 0;
}

static u64 free_count(const struct volfs_store *st)
{
	return st->hdr.block_count - VOLFS_FIRST_BLOCK - st->used_count;
}

u64 volfs_free_blocks(const struct volfs_store *st)
{
	u64 free = free_count(st);
	return free > st->dirty_blocks ? free - st->dirty_blocks : 0;
}

int volfs_reserve(struct volfs_store *st, u64 count, bool data)
{
	if (!st->writable)
		return -EROFS;
	if (st->broken)
		return -EIO;
	u64 need = count + (data ? st->meta_reserve : 0);
	if (volfs_free_blocks(st) < need)
		return -ENOSPC;
	st->dirty_blocks += count;
	return 0;
}

/* The next free block (next fit, skipping full words). 0: none. */
static u32 alloc_block(struct volfs_store *st)
{
	u64 total = st->hdr.block_count;
	for (u64 tried = 0; tried < total;) {
		u64 b = st->cursor;
		if (b >= total)
			b = VOLFS_FIRST_BLOCK;
		if (b % BITS_PER_WORD == 0 && st->used[b / BITS_PER_WORD] == ~0ULL) {
			st->cursor = b + BITS_PER_WORD;
			tried += BITS_PER_WORD;
			continue;
		}
		st->cursor = b + 1;
		tried++;
		if (b >= VOLFS_FIRST_BLOCK && !bit_test(st->used, b)) {
			bit_set(st->used, b);
			st->used_count++;
			return (u32)b;
		}
	}
	return 0;
}

int volfs_release(struct volfs_store *st, const struct volfs_ptr *ptr)
{
	if (ptr->block == 0)
		return 0;
	if (!volfs_ptr_valid(st, ptr) || !bit_test(st->used, ptr->block))
		return -EIO;
	if (st->pending_count == st->pending_cap) {
		u64 cap = st->pending_cap ? st->pending_cap * 2 : 256;
		u32 *grown = kmalloc(cap * sizeof(u32));
		if (grown == NULL)
			return -ENOMEM;
		if (st->pending_count)
			memcpy(grown, st->pending, st->pending_count * sizeof(u32));
		if (st->pending != NULL)
			kfree(st->pending);
		st->pending = grown;
		st->pending_cap = cap;
	}
	st->pending[st->pending_count++] = ptr->block;
	return 0;
}

/* ---- writing ---- */

static int fail(struct volfs_store *st, const char *what)
{
	if (!st->broken)
		kprintf("volfs: %s failed; the volume takes no more writes until it is mounted again\n",
		        what);
	st->broken = true;
	return -EIO;
}

static int flush_batch(struct volfs_store *st)
{
	if (st->batch_count == 0)
		return 0;
	int err = st->dev.write(st->dev.ctx, st->batch_start, st->batch, st->batch_count);
	st->stats.blocks_written += st->batch_count;
	st->batch_count = 0;
	return err < 0 ? fail(st, "a block write") : 0;
}

static void next_nonce(struct volfs_store *st, u8 nonce[VOLFS_NONCE_SIZE])
{
	volfs_put_le32(nonce, st->hdr.epoch);
	volfs_put_le64(nonce + 4, st->counter++);
}

int volfs_write_block(struct volfs_store *st, const struct volfs_ptr *old, const void *plain,
                      struct volfs_ptr *out)
{
	if (!st->writable || st->broken)
		return -EIO;
	u32 block = alloc_block(st);
	if (block == 0)
		return fail(st, "allocation (reservation exceeded)");
	if (st->batch_count == VOLFS_BATCH_BLOCKS ||
	    (st->batch_count > 0 && block != st->batch_start + st->batch_count)) {
		int err = flush_batch(st);
		if (err < 0)
			return err;
	}
	if (st->batch_count == 0)
		st->batch_start = block;
	u8 *slot = st->batch + (u64)st->batch_count * VOLFS_BLOCK_SIZE;
	memcpy(slot, plain, VOLFS_BLOCK_SIZE);
	out->block = block;
	next_nonce(st, out->nonce);
	aes_gcm_encrypt(&st->data_key, out->nonce, slot, VOLFS_BLOCK_SIZE, out->tag);
	st->batch_count++;
	if (old != NULL && old->block != 0) {
		int err = volfs_release(st, old);
		if (err < 0)
			return fail(st, "a release");
	}
	return 0;
}

static int write_header(struct volfs_store *st, const struct volfs_header *next)
{
	int err = flush_batch(st);
	if (err < 0)
		return err;
	if (st->dev.flush(st->dev.ctx) < 0)
		return fail(st, "a flush");
	u8 *raw = st->batch;
	memset(raw, 0, VOLFS_BLOCK_SIZE);
	encode_header(next, raw);
	hmac_sha384(st->header_key, sizeof(st->header_key), raw, VOLFS_HDR_OFF_MAC,
	            raw + VOLFS_HDR_OFF_MAC);
	u64 slot = next->generation % 2 == 1 ? 0 : 1;
	if (st->dev.write(st->dev.ctx, slot, raw, 1) < 0)
		return fail(st, "the header write");
	if (st->dev.flush(st->dev.ctx) < 0)
		return fail(st, "a flush");
	st->stats.flushes += 2;
	st->stats.commits++;
	sha384(raw, VOLFS_HDR_SIZE, st->root);
	st->hdr = *next;
	for (u64 i = 0; i < st->pending_count; i++) {
		bit_clear(st->used, st->pending[i]);
		st->used_count--;
	}
	st->pending_count = 0;
	st->dirty_blocks = 0;
	return 0;
}

int volfs_commit_header(struct volfs_store *st, const struct volfs_ptr *table_root,
                        u8 table_depth, u64 table_size, u64 inode_count, u32 flags)
{
	if (!st->writable || st->broken)
		return -EIO;
	struct volfs_header next = st->hdr;
	next.generation++;
	next.flags = flags;
	next.table_root = *table_root;
	next.table_depth = table_depth;
	next.table_size = table_size;
	next.used_blocks = st->used_count - st->pending_count;
	next.inode_count = inode_count;
	return write_header(st, &next);
}

int volfs_store_begin(struct volfs_store *st, u64 inode_count)
{
	if (st->used_count != st->hdr.used_blocks || inode_count != st->hdr.inode_count) {
		kprintf("volfs: the header counts %llu blocks and %llu inodes, the volume holds %llu and %llu\n",
		        (unsigned long long)st->hdr.used_blocks, (unsigned long long)st->hdr.inode_count,
		        (unsigned long long)st->used_count, (unsigned long long)inode_count);
		return -EIO;
	}
	if (!st->writable)
		return 0;
	struct volfs_header next = st->hdr;
	next.generation++;
	next.epoch++;
	int err = write_header(st, &next);
	st->counter = 0;
	return err;
}
