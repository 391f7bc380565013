/* voldev.h: a volume device (volfs_dev) over memory for the host tests,
 * loaded from the golden volume, that can lose power: after a chosen
 * number of writes it stops writing (a crash), optionally tearing the
 * write it stops in. */
#ifndef CVMIFY_TESTS_HOST_VOLDEV_H
#define CVMIFY_TESTS_HOST_VOLDEV_H

#include "fs/volfs_store.h"

struct voldev {
	u8 *data;
	u64 blocks;
	u64 reads;
	u64 writes;        /* blocks written */
	u64 flushes;
	long crash_after;  /* block writes and flushes still done before the crash; <0: never */
	bool tear;         /* the block the crash hits is half written */
	bool crashed;
	/* A volatile write cache: written blocks wait for the next flush; at
	 * the crash, those of the given parity (0 even, 1 odd, 2 none, 3 all)
	 * in write order still reach the disk, the others are lost. */
	bool cache;
	int survivors;
	u64 *pending;      /* block numbers, write order */
	u8 *pending_data;
	u32 pending_count;
};

/* The golden volume (dir/volume.img) and its key and states (volume.json). */
struct golden_volume {
	struct voldev dev;
	u8 key[VOLFS_KEY_SIZE];
	struct volfs_state state;   /* the newest */
	struct volfs_state older;   /* the writer's epoch commit */
	char *json;                 /* volume.json, NUL-terminated */
};

bool golden_volume_load(const char *dir, struct golden_volume *out);
struct voldev voldev_copy(const struct voldev *dev);
void voldev_free(struct voldev *dev);
struct volfs_dev voldev_dev(struct voldev *dev);

/* A fresh volume of blocks blocks in memory, as `cvmify volume create`
 * makes it (an empty root directory, generation 1); *first names it. */
struct voldev voldev_mkfs(u64 blocks, const u8 key[VOLFS_KEY_SIZE], struct volfs_state *first);

#endif
