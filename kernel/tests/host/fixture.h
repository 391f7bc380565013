/* fixture.h: the golden cvmfs image (tests/golden/small.*) as the host
 * tests load it, and the VFS root mounted over it. */
#ifndef CVMIFY_TESTS_HOST_FIXTURE_H
#define CVMIFY_TESTS_HOST_FIXTURE_H

#include "check.h"
#include "golden.h"
#include "memsource.h"

struct golden_image {
	struct memsource img;        /* small.img, in memory */
	u8 key[CVMFS_KEY_SIZE];      /* small.key */
	u8 root[CVMFS_ROOT_SIZE];    /* "root" of small.json */
};

/* Load dir/small.{img,key,json} into g; when json != NULL, *json is the
 * small.json text (the caller frees it). Returns false (and says why)
 * on failure. */
bool golden_image_load(const char *dir, struct golden_image *g, char **json);

/* Open g as a cvmfs filesystem and mount it as the VFS root; g must
 * outlive the mount (the VFS reads g->img). */
bool golden_mount_root(struct golden_image *g);

/* The body of main() for a test over the golden image: setup(argv[1], or
 * ../tests/golden without it), then the table, or only the test argv[2]
 * names. Returns the exit status. */
int golden_test_main(int argc, char **argv, bool (*setup)(const char *golden),
                     const struct host_test *tests, int count);

/* The same image under the root overlay (what the kernel mounts at /):
 * writable in memory up to page_limit pages, or read-only. */
bool golden_mount_overlay(struct golden_image *g, u64 page_limit, bool read_only);

/* Check one listing entry against what the VFS under root shows: stat
 * fields, symlink target, file content (sha256). Failures go to CHECK. */
struct inode;
void golden_check_entry(struct inode *root, const struct golden_entry *e);

#endif
