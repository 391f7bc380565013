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
	long crash_after;  /* blocks still written before the crash; <0: never */
	bool tear;         /* the block the crash hits is half written */
	bool crashed;
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

#endif
