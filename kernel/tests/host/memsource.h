/* memsource.h: a cvmfs block source over a file loaded into memory, so
 * tests can flip bytes between reads. */
#ifndef CVMIFY_TESTS_HOST_MEMSOURCE_H
#define CVMIFY_TESTS_HOST_MEMSOURCE_H

#include "fs/cvmfs_disk.h"

struct memsource {
	u8 *data;
	size_t size;
	u64 reads;
};

/* Load path; returns false (and prints why) on failure. */
bool memsource_load(struct memsource *m, const char *path);
void memsource_free(struct memsource *m);
struct cvmfs_source memsource_source(struct memsource *m);

/* Read a whole small file (key, json) into a NUL-terminated buffer. */
char *read_text_file(const char *path, size_t *size);
/* Find "key": "hex" in json and decode into out (size bytes). */
bool json_hex_field(const char *json, const char *key, u8 *out, size_t size);

#endif
