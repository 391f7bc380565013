/*
 * cvmfs_disk.c: superblock + tag table + disk root check, then
 * authenticated block reads through the page cache (docs/disk-format.md,
 * docs/kernel-memory.md).
 *
 * Trust: the source is the host. Nothing read from it is used before it
 * is checked: the superblock and tag table through the disk root, each
 * data block through its tag. The tag table is copied once into private
 * memory, so the host cannot change a tag after the root check.
 */
#include "fs/cvmfs_disk.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "lib/kprintf.h"
#include "platform/platform.h"
#include "proc/rusage.h"
#include "syscalls/linux_abi/errno.h"

#define TAG_READ_CHUNK (64 * 1024)

static int read_superblock(struct cvmfs_disk *disk, u8 *raw_sb)
{
	if (disk->src.size < CVMFS_BLOCK_SIZE)
		return -EINVAL;
	int err = disk->src.read(disk->src.ctx, 0, raw_sb, CVMFS_BLOCK_SIZE);
	if (err < 0)
		return -EIO;
	return cvmfs_parse_superblock(raw_sb, disk->src.size, &disk->sb);
}

/* Copy the padded tag table into private memory. */
static int read_tags(struct cvmfs_disk *disk)
{
	u64 table_size = cvmfs_tag_table_size(disk->sb.block_count);
	disk->tags = kmalloc(table_size);
	if (disk->tags == NULL)
		return -ENOMEM;
	for (u64 done = 0; done < table_size; done += TAG_READ_CHUNK) {
		u64 left = table_size - done;
		size_t n = left < TAG_READ_CHUNK ? (size_t)left : TAG_READ_CHUNK;
		if (disk->src.read(disk->src.ctx, disk->sb.tag_table_offset + done,
		                   disk->tags + done, n) < 0)
			return -EIO;
	}
	return 0;
}

/* Disk root = SHA-384(superblock[0:128] || tags[0 : 16*block_count]). */
static int compute_root(struct cvmfs_disk *disk, const u8 *raw_sb)
{
	struct sha384_ctx h;
	sha384_init(&h);
	sha384_update(&h, raw_sb, CVMFS_SB_SIZE);
	sha384_update(&h, disk->tags, (size_t)(disk->sb.block_count * CVMFS_TAG_SIZE));
	sha384_final(&h, disk->root);
	return 0;
}

static int setup_cache(struct cvmfs_disk *disk)
{
	disk->ciphertext = kmalloc(CVMFS_READ_BLOCKS * CVMFS_BLOCK_SIZE);
	if (disk->ciphertext == NULL)
		return -ENOMEM;
	int err = cvmfs_cache_init(&disk->cache);
	if (err == 0)
		disk->cache_ready = true;
	return err;
}

static int open_checked(struct cvmfs_disk *disk, const u8 disk_key[CVMFS_KEY_SIZE],
                        const u8 expected_root[CVMFS_ROOT_SIZE])
{
	u8 *raw_sb = kmalloc(CVMFS_BLOCK_SIZE);
	if (raw_sb == NULL)
		return -ENOMEM;
	int err = read_superblock(disk, raw_sb);
	if (err == 0)
		err = read_tags(disk);
	if (err == 0)
		err = compute_root(disk, raw_sb);
	kfree(raw_sb);
	if (err < 0)
		return err;
	if (memcmp_ct(disk->root, expected_root, CVMFS_ROOT_SIZE) != 0)
		return -EACCES;
	if (disk_key == NULL) /* only checking the root (fs_root_disk_check) */
		return 0;

	/* Image key = HKDF-SHA384(disk key, salt, info, 32). */
	static const char info[] = CVMFS_HKDF_INFO;
	u8 image_key[CVMFS_KEY_SIZE];
	hkdf_sha384(disk_key, CVMFS_KEY_SIZE, disk->sb.salt, CVMFS_SALT_SIZE, info,
	            sizeof(info) - 1, image_key, sizeof(image_key));
	disk->key = aes_gcm_key_alloc();
	if (disk->key != NULL)
		aes_gcm_key_init(disk->key, image_key);
	memzero_explicit(image_key, sizeof(image_key));
	if (disk->key == NULL)
		return -ENOMEM;
	return setup_cache(disk);
}

int cvmfs_disk_open(struct cvmfs_disk *disk, const struct cvmfs_source *src,
                    const u8 disk_key[CVMFS_KEY_SIZE],
                    const u8 expected_root[CVMFS_ROOT_SIZE])
{
	memset(disk, 0, sizeof(*disk));
	disk->src = *src;
	int err = open_checked(disk, disk_key, expected_root);
	if (err < 0)
		cvmfs_disk_close(disk);
	return err;
}

void cvmfs_disk_close(struct cvmfs_disk *disk)
{
	if (disk->ahead)
		disk->src.read_finish(disk->src.ctx, NULL); /* the device is done with it */
	disk->ahead = false;
	if (disk->cache_ready)
		cvmfs_cache_destroy(&disk->cache);
	disk->cache_ready = false;
	if (disk->ciphertext != NULL)
		kfree(disk->ciphertext);
	disk->ciphertext = NULL;
	if (disk->tags != NULL)
		kfree(disk->tags);
	disk->tags = NULL;
	if (disk->key != NULL)
		aes_gcm_key_free(disk->key);
	disk->key = NULL;
}

/* Decrypt block into a new page and authenticate it; only a block whose
 * tag verifies reaches the cache. The ciphertext is in the read buffer. */
static int decrypt_into_cache(struct cvmfs_disk *disk, u64 block, const u8 *ciphertext)
{
	u8 *page = cvmfs_cache_new_page(&disk->cache);
	if (page == NULL)
		return -ENOMEM;
	memcpy(page, ciphertext, CVMFS_BLOCK_SIZE);
	/* nonce = u64le(block) || 00 00 00 00 */
	u8 iv[AES_GCM_IV_SIZE] = { 0 };
	for (int i = 0; i < 8; i++)
		iv[i] = (u8)(block >> (8 * i));
	const u8 *tag = disk->tags + block * CVMFS_TAG_SIZE;
	u64 start = platform_time_ns();
	int verdict = aes_gcm_decrypt(disk->key, iv, page, CVMFS_BLOCK_SIZE, tag);
	disk->decrypt_ns += platform_time_ns() - start;
	disk->blocks_decrypted++;
	rusage_block_read();
	if (verdict < 0) {
		disk->failed_blocks++;
		memzero_explicit(page, CVMFS_BLOCK_SIZE);
		page_free(page);
		return -EIO;
	}
	return cvmfs_cache_insert(&disk->cache, block, page);
}

/* How many blocks to read from block on: what the caller wants, or a
 * full readahead window when the block before is cached (a sequential
 * reader); never past the image or into a block already cached. */
static u64 read_window(struct cvmfs_disk *disk, u64 block, u64 want)
{
	u64 n = want;
	if (block > 0 && cvmfs_cache_contains(&disk->cache, block - 1))
		n = CVMFS_READ_BLOCKS;
	if (n > CVMFS_READ_BLOCKS)
		n = CVMFS_READ_BLOCKS;
	if (n > disk->sb.block_count - block)
		n = disk->sb.block_count - block;
	for (u64 i = 1; i < n; i++) {
		if (cvmfs_cache_contains(&disk->cache, block + i))
			return i;
	}
	return n > 0 ? n : 1;
}

/* Decrypt the window of n blocks from first (in disk->ciphertext) into
 * the cache; the result is block's own (block is inside the window). A
 * neighbour that fails or finds no memory is simply not cached. */
static int decrypt_window(struct cvmfs_disk *disk, u64 first, u64 n, u64 block)
{
	int result = 0;
	for (u64 i = 0; i < n; i++) {
		if (first + i != block && cvmfs_cache_contains(&disk->cache, first + i))
			continue;
		int err = decrypt_into_cache(disk, first + i, disk->ciphertext + i * CVMFS_BLOCK_SIZE);
		if (first + i == block)
			result = err;
		if (err == -ENOMEM)
			return first + i < block ? -ENOMEM : result;
	}
	return result;
}

/* After a full window (a sequential reader), have the source read the
 * next one while this one decrypts: under the device's latency the
 * kernel then does its own work instead of waiting. Not past the image,
 * not into cached blocks, only one at a time. */
static void start_ahead(struct cvmfs_disk *disk, u64 block)
{
	if (disk->src.read_start == NULL || disk->ahead || block >= disk->sb.block_count)
		return;
	u64 n = MIN((u64)CVMFS_READ_BLOCKS, disk->sb.block_count - block);
	for (u64 i = 0; i < n; i++) {
		if (cvmfs_cache_contains(&disk->cache, block + i)) {
			n = i;
			break;
		}
	}
	if (n == 0)
		return;
	u64 device_offset = disk->sb.data_offset + block * CVMFS_BLOCK_SIZE;
	if (disk->src.read_start(disk->src.ctx, device_offset, (size_t)n * CVMFS_BLOCK_SIZE) < 0)
		return; /* a plain read will follow */
	disk->ahead = true;
	disk->ahead_block = block;
	disk->ahead_count = n;
	disk->device_reads++;
	disk->blocks_read += n;
}

/* Collect the outstanding read-ahead: into disk->ciphertext if it holds
 * block (true, with its window in *first and *n), dropped otherwise. Its
 * ciphertext is checked like any other: block by block, by tag. */
static bool take_ahead(struct cvmfs_disk *disk, u64 block, u64 *first, u64 *n)
{
	if (!disk->ahead)
		return false;
	disk->ahead = false;
	bool wanted = block >= disk->ahead_block && block - disk->ahead_block < disk->ahead_count;
	u64 start = platform_time_ns();
	int err = disk->src.read_finish(disk->src.ctx, wanted ? disk->ciphertext : NULL);
	disk->device_ns += platform_time_ns() - start;
	if (!wanted || err < 0)
		return false;
	disk->ahead_used++;
	*first = disk->ahead_block;
	*n = disk->ahead_count;
	return true;
}

/* Read block's window (from the read-ahead, or in one device request)
 * and cache each block that authenticates; the result is block's own. */
static int fill(struct cvmfs_disk *disk, u64 block, u64 want)
{
	u64 first = block, n = 0;
	if (!take_ahead(disk, block, &first, &n)) {
		n = read_window(disk, block, want);
		u64 device_offset = disk->sb.data_offset + block * CVMFS_BLOCK_SIZE;
		disk->device_reads++;
		disk->blocks_read += n;
		u64 start = platform_time_ns();
		int got = disk->src.read(disk->src.ctx, device_offset, disk->ciphertext,
		                         (size_t)n * CVMFS_BLOCK_SIZE);
		disk->device_ns += platform_time_ns() - start;
		if (got < 0)
			return -EIO;
	}
	if (n == CVMFS_READ_BLOCKS)
		start_ahead(disk, first + n);
	return decrypt_window(disk, first, n, block);
}

int cvmfs_block_get(struct cvmfs_disk *disk, u64 block, u64 want, u8 **page)
{
	if (block >= disk->sb.block_count)
		return -EINVAL;
	*page = cvmfs_cache_get(&disk->cache, block);
	if (*page != NULL)
		return 0;
	int err = fill(disk, block, want ? want : 1);
	if (err < 0)
		return err;
	*page = cvmfs_cache_get(&disk->cache, block);
	return *page != NULL ? 0 : -ENOMEM;
}

long cvmfs_disk_read_to(struct cvmfs_disk *disk, u64 offset, size_t size, struct vfs_copier *c)
{
	u64 image_size = disk->sb.block_count * CVMFS_BLOCK_SIZE;
	if (offset > image_size || size > image_size - offset)
		return -EINVAL;
	size_t done = 0;
	while (done < size) {
		u64 block = offset / CVMFS_BLOCK_SIZE;
		size_t in_block = (size_t)(offset % CVMFS_BLOCK_SIZE);
		size_t n = MIN(CVMFS_BLOCK_SIZE - in_block, size - done);
		u64 want = (in_block + (size - done) + CVMFS_BLOCK_SIZE - 1) / CVMFS_BLOCK_SIZE;
		u8 *page = NULL;
		int err = cvmfs_block_get(disk, block, want, &page);
		if (err == 0) {
			/* The reference keeps the page while the copy may fault. */
			err = c->copy(c, page + in_block, n);
			page_put(page);
		}
		if (err < 0)
			return done > 0 ? (long)done : err;
		done += n;
		offset += n;
	}
	return (long)done;
}

int cvmfs_disk_read(struct cvmfs_disk *disk, u64 offset, void *buf, size_t size)
{
	struct vfs_kcopier k;
	vfs_copier_to_kernel(&k, buf);
	long n = cvmfs_disk_read_to(disk, offset, size, &k.c);
	return n < 0 ? (int)n : 0;
}

void cvmfs_disk_log_stats(const struct cvmfs_disk *disk)
{
	u64 per_block = disk->blocks_decrypted ? disk->decrypt_ns / disk->blocks_decrypted : 0;
	kprintf("fs: page cache: %llu hits, %llu misses, %llu evictions, %zu cached; "
	        "disk: %llu requests, %llu blocks, %llu read-aheads used, %llu failed, %llu ms; "
	        "aes-gcm: %llu ns per 4 KiB block\n",
	        (unsigned long long)disk->cache.hits, (unsigned long long)disk->cache.misses,
	        (unsigned long long)disk->cache.evictions, disk->cache.count,
	        (unsigned long long)disk->device_reads, (unsigned long long)disk->blocks_read,
	        (unsigned long long)disk->ahead_used,
	        (unsigned long long)disk->failed_blocks,
	        (unsigned long long)(disk->device_ns / 1000000), (unsigned long long)per_block);
}
