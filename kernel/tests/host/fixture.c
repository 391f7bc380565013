/* fixture.c: see fixture.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "fs/cvmfs.h"
#include "fs/vfs.h"

/* dir/name into buf; false when it does not fit. */
static bool golden_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);
	return n > 0 && (size_t)n < size;
}

static bool load_key(const char *dir, u8 *key)
{
	char path[512];
	if (!golden_path(path, sizeof(path), dir, "small.key"))
		return false;
	size_t size = 0;
	char *text = read_text_file(path, &size);
	bool ok = text != NULL && size == CVMFS_KEY_SIZE;
	if (text != NULL && !ok)
		fprintf(stderr, "%s: %zu bytes, want %d\n", path, size, CVMFS_KEY_SIZE);
	if (ok)
		memcpy(key, text, CVMFS_KEY_SIZE);
	free(text);
	return ok;
}

bool golden_image_load(const char *dir, struct golden_image *g, char **json)
{
	char path[512];
	if (!golden_path(path, sizeof(path), dir, "small.img") || !memsource_load(&g->img, path))
		return false;
	if (!load_key(dir, g->key) || !golden_path(path, sizeof(path), dir, "small.json"))
		return false;
	char *text = read_text_file(path, NULL);
	if (text == NULL || !json_hex_field(text, "root", g->root, sizeof(g->root))) {
		free(text);
		return false;
	}
	if (json != NULL)
		*json = text;
	else
		free(text);
	return true;
}

bool golden_mount_root(struct golden_image *g)
{
	struct cvmfs_source src = memsource_source(&g->img);
	struct fs_super *sb = NULL;
	if (cvmfs_create(&src, g->key, g->root, &sb) < 0)
		return false;
	return vfs_mount_root(sb) >= 0;
}

int golden_test_main(int argc, char **argv, bool (*setup)(const char *golden),
                     const struct host_test *tests, int count)
{
	const char *golden = argc > 1 ? argv[1] : "../tests/golden";
	if (!setup(golden)) {
		fprintf(stderr, "setup failed (golden image at %s)\n", golden);
		return 1;
	}
	return run_tests(tests, count, argc - 1, argv + 1);
}
