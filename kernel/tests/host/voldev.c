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
			if (!d->tear)
				return 0;
			size = VOLFS_BLOCK_SIZE / 32; /* the first sectors made it */
		} else if (d->crash_after > 0) {
			d->crash_after--;
		}
		memcpy(d->data + (block + i) * VOLFS_BLOCK_SIZE, (const u8 *)buf + (size_t)i * VOLFS_BLOCK_SIZE,
		       size);
		d->writes++;
	}
	return 0;
}

static int dev_flush(void *ctx)
{
	struct voldev *d = ctx;
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
	copy.tear = copy.crashed = false;
	return copy;
}

void voldev_free(struct voldev *dev)
{
	free(dev->data);
	dev->data = NULL;
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
