/* memsource.c: see memsource.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memsource.h"
#include "syscalls/linux_abi/errno.h"

char *read_text_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)len + 1);
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[len] = 0;
	if (size != NULL)
		*size = (size_t)len;
	return buf;
}

bool memsource_load(struct memsource *m, const char *path)
{
	m->data = (u8 *)read_text_file(path, &m->size);
	m->reads = 0;
	return m->data != NULL;
}

void memsource_free(struct memsource *m)
{
	free(m->data);
	m->data = NULL;
}

static int mem_read(void *ctx, u64 offset, void *buf, size_t size)
{
	struct memsource *m = ctx;
	if (offset % 512 != 0 || size % 512 != 0)
		return -EINVAL;
	if (offset > m->size || size > m->size - offset)
		return -EIO;
	memcpy(buf, m->data + offset, size);
	m->reads++;
	return 0;
}

struct cvmfs_source memsource_source(struct memsource *m)
{
	struct cvmfs_source src = { .read = mem_read, .ctx = m, .size = m->size };
	return src;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool json_hex_field(const char *json, const char *key, u8 *out, size_t size)
{
	char pattern[64];
	snprintf(pattern, sizeof(pattern), "\"%s\": \"", key);
	const char *p = strstr(json, pattern);
	if (p == NULL)
		return false;
	p += strlen(pattern);
	for (size_t i = 0; i < size; i++) {
		int hi = hex_value(p[2 * i]), lo = hex_value(p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (u8)(hi * 16 + lo);
	}
	return p[2 * size] == '"';
}
