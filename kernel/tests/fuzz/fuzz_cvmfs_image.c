/*
 * fuzz_cvmfs_image.c: whole cvmfs images that authenticate but are
 * malformed, as a buggy (or hostile, if it had the key) writer would
 * make them: the input is a list of (offset, byte) edits to the golden
 * image's metadata plaintext; the image is re-encrypted with fresh tags
 * and root, mounted, and walked completely through the VFS inode ops.
 * Needs the golden image: CVMIFY_GOLDEN (default ../tests/golden, as
 * `make -C kernel fuzz-run` runs from kernel/).
 */
#include <stdio.h>

#include "check.h"
#include "cvmfs_image.h"
#include "fuzz_input.h"

static struct golden_image g_golden;
static struct cvmfs_sb g_sb;
static u8 *g_plain;
static size_t g_plain_size;
static struct fuzz_input *g_in;

static u64 input_offset(void)
{
	return fuzz_u32(g_in);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("CVMIFY_GOLDEN");
	if (!golden_image_load(dir ? dir : "../tests/golden", &g_golden, NULL)) {
		fprintf(stderr, "fuzz_cvmfs_image: no golden image (set CVMIFY_GOLDEN)\n");
		abort();
	}
	g_plain = cvmfs_image_plaintext(&g_golden, &g_sb);
	if (g_plain == NULL)
		abort();
	g_plain_size = g_sb.block_count * CVMFS_BLOCK_SIZE;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size, 0};
	g_in = &in;
	u8 *work = malloc(g_plain_size);
	memcpy(work, g_plain, g_plain_size);
	size_t meta = cvmfs_image_metadata_size(&g_sb);
	for (int edits = 0; edits < 32 && in.size - in.pos >= 3; edits++) {
		size_t at = fuzz_u16(&in) % meta;
		work[at] = fuzz_u8(&in);
	}
	struct memsource m = g_golden.img;
	m.data = malloc(m.size);
	memcpy(m.data, g_golden.img.data, m.size);
	u8 root[48];
	cvmfs_image_reencrypt(&m, &g_sb, g_golden.key, work, root);
	(void)cvmfs_image_mount_and_walk(&m, g_golden.key, root, 200, input_offset);
	FUZZ_ASSERT(g_check_failures == 0);
	free(m.data);
	free(work);
	return 0;
}
