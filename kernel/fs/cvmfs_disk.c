/*
 * cvmfs_disk.c: superblock + tag table + disk root check, then
 * authenticated block reads with a small cache (docs/disk-format.md).
 *
 * Trust: the source is the host. Nothing read from it is used before it
 * is checked: the superblock and tag table through the disk root, each
 * data block through its tag. The tag table is copied once into private
 * memory, so the host cannot change a tag after the root check.
 */
#include "fs/cvmfs_disk.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
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
	disk->scratch = kmalloc(CVMFS_BLOCK_SIZE);
	if (disk->scratch == NULL)
		return -ENOMEM;
	for (int i = 0; i < CVMFS_CACHE_BLOCKS; i++) {
		disk->cache[i].data = kmalloc(CVMFS_BLOCK_SIZE);
		if (disk->cache[i].data == NULL)
			return -ENOMEM;
	}
	return 0;
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
	for (int i = 0; i < CVMFS_CACHE_BLOCKS; i++) {
		if (disk->cache[i].data != NULL) {
			memzero_explicit(disk->cache[i].data, CVMFS_BLOCK_SIZE);
			kfree(disk->cache[i].data);
		}
		disk->cache[i].data = NULL;
		disk->cache[i].valid = false;
	}
	if (disk->scratch != NULL)
		kfree(disk->scratch);
	disk->scratch = NULL;
	if (disk->tags != NULL)
		kfree(disk->tags);
	disk->tags = NULL;
	if (disk->key != NULL)
		aes_gcm_key_free(disk->key);
	disk->key = NULL;
}

/* The cache slot holding block, or the least recently used one. */
static struct cvmfs_cache_entry *cache_slot(struct cvmfs_disk *disk, u64 block, bool *hit)
{
	struct cvmfs_cache_entry *victim = &disk->cache[0];
	for (int i = 0; i < CVMFS_CACHE_BLOCKS; i++) {
		struct cvmfs_cache_entry *e = &disk->cache[i];
		if (e->valid && e->block == block) {
			*hit = true;
			return e;
		}
		if (!e->valid || (victim->valid && e->last_use < victim->last_use))
			victim = e;
	}
	*hit = false;
	return victim;
}

/* Authenticated plaintext of one block (a pointer into the cache). */
static int get_block(struct cvmfs_disk *disk, u64 block, const u8 **out)
{
	bool hit = false;
	struct cvmfs_cache_entry *e = cache_slot(disk, block, &hit);
	e->last_use = ++disk->use_clock;
	if (hit) {
		*out = e->data;
		return 0;
	}

	e->valid = false;
	u64 device_offset = disk->sb.data_offset + block * CVMFS_BLOCK_SIZE;
	if (disk->src.read(disk->src.ctx, device_offset, disk->scratch, CVMFS_BLOCK_SIZE) < 0)
		return -EIO;
	/* nonce = u64le(block) || 00 00 00 00 */
	u8 iv[AES_GCM_IV_SIZE] = { 0 };
	for (int i = 0; i < 8; i++)
		iv[i] = (u8)(block >> (8 * i));
	const u8 *tag = disk->tags + block * CVMFS_TAG_SIZE;
	if (aes_gcm_decrypt(disk->key, iv, disk->scratch, CVMFS_BLOCK_SIZE, tag) < 0) {
		disk->failed_blocks++;
		return -EIO;
	}
	memcpy(e->data, disk->scratch, CVMFS_BLOCK_SIZE);
	memzero_explicit(disk->scratch, CVMFS_BLOCK_SIZE);
	e->block = block;
	e->valid = true;
	*out = e->data;
	return 0;
}

int cvmfs_disk_read(struct cvmfs_disk *disk, u64 offset, void *buf, size_t size)
{
	u64 image_size = disk->sb.block_count * CVMFS_BLOCK_SIZE;
	if (offset > image_size || size > image_size - offset)
		return -EINVAL;

	u8 *out = buf;
	while (size > 0) {
		u64 block = offset / CVMFS_BLOCK_SIZE;
		size_t in_block = (size_t)(offset % CVMFS_BLOCK_SIZE);
		size_t n = CVMFS_BLOCK_SIZE - in_block;
		if (n > size)
			n = size;
		const u8 *data = NULL;
		int err = get_block(disk, block, &data);
		if (err < 0)
			return err;
		memcpy(out, data + in_block, n);
		out += n;
		offset += n;
		size -= n;
	}
	return 0;
}
