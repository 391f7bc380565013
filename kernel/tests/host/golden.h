/* golden.h: the entries of tests/golden/small.json's "listing" array,
 * read with a tiny parser for its flat objects (no escapes needed). */
#ifndef CVMIFY_TESTS_HOST_GOLDEN_H
#define CVMIFY_TESTS_HOST_GOLDEN_H

#include "lib/types.h"

struct golden_entry {
	char path[512];
	char target[512];        /* symlinks */
	char sha256[65];         /* regular files */
	u64 inode, mode, uid, gid, nlink, size, mtime;
	bool has_size;
};

/* Parse up to max entries from the json text; returns the count or -1. */
int golden_parse_listing(const char *json, struct golden_entry *out, int max);

#endif
