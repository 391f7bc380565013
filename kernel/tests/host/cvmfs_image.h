/*
 * cvmfs_image.h: building and walking authentic-but-malformed cvmfs
 * images from the golden one, shared by the byte-flip fuzzer
 * (test_cvmfs_fuzz.c) and the libFuzzer target (tests/fuzz).
 */
#ifndef CVMIFY_TESTS_HOST_CVMFS_IMAGE_H
#define CVMIFY_TESTS_HOST_CVMFS_IMAGE_H

#include "fs/cvmfs.h"
#include "fixture.h"

/* The golden image's plaintext (all blocks, malloc'ed) and superblock. */
u8 *cvmfs_image_plaintext(const struct golden_image *g, struct cvmfs_sb *sb_out);

/* Encrypt plain into img (same layout as the golden), fix the tags and
 * put the new disk root in root_out, as a writer with key would. */
void cvmfs_image_reencrypt(struct memsource *img, const struct cvmfs_sb *sb, const u8 *key,
                           const u8 *plain, u8 root_out[48]);

/* Bytes of the metadata (inode table, directory records, link targets)
 * at the start of the plaintext. */
size_t cvmfs_image_metadata_size(const struct cvmfs_sb *sb);

/* Mount img with key and root and visit everything reachable (at most
 * budget nodes), reading files at offsets from next_offset. Every
 * operation must return a value or -EIO/-ENOENT (CHECK otherwise).
 * Returns 0 when it mounted, else cvmfs_create's error. */
int cvmfs_image_mount_and_walk(struct memsource *img, const u8 *key, const u8 *root,
                               int budget, u64 (*next_offset)(void));

#endif
