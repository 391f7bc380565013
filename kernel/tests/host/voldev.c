/* voldev.c: see voldev.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memsource.h"
#include "voldev.h"

static int dev_read(void *ctx, u64 block, void *buf, u32 count)
{
	struct voldev *d = ctx;
	if (block > d->blocks || count > d->blocks - block)
		return -1;
	memcpy(buf, d->data + block * VOLFS_BLOCK_SIZE, (size_t)count * VOLFS_BLOCK_SIZE);
	d->reads += count;
	return 0;
}

/* The cache's writes reach the disk (all, or at the crash a subset). */
static void drain(struct voldev *d, bool crash)
{
	for (u32 i = 0; i < d->pending_count; i++) {
		bool lands = !crash || d->survivors == 3 || (d->survivors < 2 && (int)(i % 2) == d->survivors);
		if (lands)
			memcpy(d->data + d->pending[i] * VOLFS_BLOCK_SIZE,
			       d->pending_data + (size_t)i * VOLFS_BLOCK_SIZE, VOLFS_BLOCK_SIZE);
	}
	d->pending_count = 0;
}

static void put_block(struct voldev *d, u64 block, const u8 *src, size_t size)
{
	if (!d->cache) {
		memcpy(d->data + block * VOLFS_BLOCK_SIZE, src, size);
		return;
	}
	d->pending = realloc(d->pending, (d->pending_count + 1) * sizeof(u64));
	d->pending_data = realloc(d->pending_data, (size_t)(d->pending_count + 1) * VOLFS_BLOCK_SIZE);
	u8 *slot = d->pending_data + (size_t)d->pending_count * VOLFS_BLOCK_SIZE;
	memcpy(slot, d->data + block * VOLFS_BLOCK_SIZE, VOLFS_BLOCK_SIZE);
	memcpy(slot, src, size);
	d->pending[d->pending_count++] = block;
}

static int dev_write(void *ctx, u64 block, const void *buf, u32 count)
{
	struct voldev *d = ctx;
	if (block > d->blocks || count > d->blocks - block)
		return -1;
	for (u32 i = 0; i < count; i++) {
		if (d->crashed)
			return 0; /* after the crash nothing reaches the disk, silently */
		size_t size = VOLFS_BLOCK_SIZE;
		if (d->crash_after == 0) {
			d->crashed = true;
			if (d->tear)
				put_block(d, block + i, (const u8 *)buf + (size_t)i * VOLFS_BLOCK_SIZE,
				          VOLFS_BLOCK_SIZE / 32); /* the first sectors made it */
			drain(d, true);
			return 0;
		}
		if (d->crash_after > 0)
			d->crash_after--;
		put_block(d, block + i, (const u8 *)buf + (size_t)i * VOLFS_BLOCK_SIZE, size);
		d->writes++;
	}
	return 0;
}

static int dev_flush(void *ctx)
{
	struct voldev *d = ctx;
	if (d->crashed)
		return 0;
	if (d->crash_after == 0) { /* the power goes before the cache is out */
		d->crashed = true;
		drain(d, true);
		return 0;
	}
	if (d->crash_after > 0)
		d->crash_after--;
	drain(d, false);
	d->flushes++;
	return 0;
}

struct volfs_dev voldev_dev(struct voldev *dev)
{
	return (struct volfs_dev){ .read = dev_read, .write = dev_write, .flush = dev_flush,
	                           .ctx = dev, .block_count = dev->blocks };
}

struct voldev voldev_copy(const struct voldev *dev)
{
	struct voldev copy = *dev;
	copy.data = malloc(dev->blocks * VOLFS_BLOCK_SIZE);
	memcpy(copy.data, dev->data, dev->blocks * VOLFS_BLOCK_SIZE);
	copy.reads = copy.writes = copy.flushes = 0;
	copy.crash_after = -1;
	copy.tear = copy.crashed = copy.cache = false;
	copy.pending = NULL;
	copy.pending_data = NULL;
	copy.pending_count = 0;
	return copy;
}

void voldev_free(struct voldev *dev)
{
	free(dev->data);
	free(dev->pending);
	free(dev->pending_data);
	dev->data = NULL;
	dev->pending = NULL;
	dev->pending_data = NULL;
}

static bool json_u64(const char *json, const char *key, u64 *out)
{
	char pattern[64];
	snprintf(pattern, sizeof(pattern), "\"%s\": ", key);
	const char *at = strstr(json, pattern);
	if (at == NULL)
		return false;
	*out = strtoull(at + strlen(pattern), NULL, 10);
	return true;
}

bool golden_volume_load(const char *dir, struct golden_volume *out)
{
	char path[1024];
	struct memsource img;
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/volume.img", dir);
	if (!memsource_load(&img, path))
		return false;
	out->dev = (struct voldev){ .data = img.data, .blocks = img.size / VOLFS_BLOCK_SIZE,
	                            .crash_after = -1 };
	snprintf(path, sizeof(path), "%s/volume.key", dir);
	size_t size = 0;
	char *key = read_text_file(path, &size);
	snprintf(path, sizeof(path), "%s/volume.json", dir);
	out->json = read_text_file(path, &size);
	if (key == NULL || out->json == NULL)
		return false;
	memcpy(out->key, key, VOLFS_KEY_SIZE);
	free(key);
	return json_u64(out->json, "generation", &out->state.generation) &&
	       json_u64(out->json, "older_generation", &out->older.generation) &&
	       json_hex_field(out->json, "root", out->state.root, VOLFS_ROOT_SIZE) &&
	       json_hex_field(out->json, "older_root", out->older.root, VOLFS_ROOT_SIZE);
}

/* What cvmify/volume/fs.py mkfs writes, in C: the test's own volumes. */
struct voldev voldev_mkfs(u64 blocks, const u8 key[VOLFS_KEY_SIZE], struct volfs_state *first)
{
	struct voldev d = { .data = calloc(blocks, VOLFS_BLOCK_SIZE), .blocks = blocks,
	                    .crash_after = -1 };
	u8 uuid[VOLFS_UUID_SIZE];
	for (u32 i = 0; i < VOLFS_UUID_SIZE; i++)
		uuid[i] = (u8)(0xa0 + i);
	u8 *table = d.data + VOLFS_FIRST_BLOCK * VOLFS_BLOCK_SIZE;
	u8 *root = table + VOLFS_INODE_SIZE;
	volfs_put_le32(root + VOLFS_INO_OFF_MODE, 040755);
	volfs_put_le32(root + VOLFS_INO_OFF_NLINK, 2);
	volfs_put_le32(root + VOLFS_INO_OFF_PARENT, 1);
	u8 data_key[32], nonce[VOLFS_NONCE_SIZE] = { 1 }, tag[VOLFS_TAG_SIZE];
	hkdf_sha384(key, VOLFS_KEY_SIZE, uuid, sizeof(uuid), VOLFS_DATA_INFO,
	            sizeof(VOLFS_DATA_INFO) - 1, data_key, sizeof(data_key));
	struct aes_gcm_key k;
	aes_gcm_key_init(&k, data_key);
	aes_gcm_encrypt(&k, nonce, table, VOLFS_BLOCK_SIZE, tag); /* epoch 1, counter 0 */
	u8 *h = d.data; /* slot A: generation 1 */
	memcpy(h, VOLFS_HDR_MAGIC, 8);
	volfs_put_le32(h + VOLFS_HDR_OFF_VERSION, VOLFS_HDR_VERSION);
	volfs_put_le32(h + VOLFS_HDR_OFF_BLOCK_SIZE, VOLFS_BLOCK_SIZE);
	memcpy(h + VOLFS_HDR_OFF_UUID, uuid, sizeof(uuid));
	volfs_put_le64(h + VOLFS_HDR_OFF_BLOCK_COUNT, blocks);
	volfs_put_le64(h + VOLFS_HDR_OFF_GENERATION, 1);
	volfs_put_le32(h + VOLFS_HDR_OFF_EPOCH, 1);
	volfs_put_le32(h + VOLFS_HDR_OFF_FLAGS, VOLFS_FLAG_FRESH);
	volfs_put_le64(h + VOLFS_HDR_OFF_TABLE_SIZE, VOLFS_BLOCK_SIZE);
	struct volfs_ptr ptr = { .block = VOLFS_FIRST_BLOCK };
	memcpy(ptr.nonce, nonce, sizeof(nonce));
	memcpy(ptr.tag, tag, sizeof(tag));
	volfs_ptr_encode(&ptr, h + VOLFS_HDR_OFF_TABLE_ROOT);
	volfs_put_le64(h + VOLFS_HDR_OFF_USED, 1);
	volfs_put_le64(h + VOLFS_HDR_OFF_INODES, 1);
	u8 hkey[VOLFS_HEADER_KEY_SIZE];
	hkdf_sha384(key, VOLFS_KEY_SIZE, uuid, sizeof(uuid), VOLFS_HEADER_INFO,
	            sizeof(VOLFS_HEADER_INFO) - 1, hkey, sizeof(hkey));
	hmac_sha384(hkey, sizeof(hkey), h, VOLFS_HDR_OFF_MAC, h + VOLFS_HDR_OFF_MAC);
	first->generation = 1;
	sha384(h, VOLFS_HDR_SIZE, first->root);
	return d;
}
