/* golden.c: see golden.h. */
#include <stdlib.h>
#include <string.h>

#include "golden.h"

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == ',')
		p++;
	return p;
}

/* Copy a JSON string (p at the opening quote) into out; returns the
 * position after the closing quote, or NULL. */
static const char *read_string(const char *p, char *out, size_t size)
{
	if (*p != '"')
		return NULL;
	p++;
	size_t n = 0;
	while (*p != '"') {
		if (*p == 0 || *p == '\\' || n + 1 >= size)
			return NULL;
		out[n++] = *p++;
	}
	out[n] = 0;
	return p + 1;
}

static void set_number(struct golden_entry *e, const char *key, u64 value)
{
	if (strcmp(key, "inode") == 0)
		e->inode = value;
	else if (strcmp(key, "mode") == 0)
		e->mode = value;
	else if (strcmp(key, "uid") == 0)
		e->uid = value;
	else if (strcmp(key, "gid") == 0)
		e->gid = value;
	else if (strcmp(key, "nlink") == 0)
		e->nlink = value;
	else if (strcmp(key, "mtime") == 0)
		e->mtime = value;
	else if (strcmp(key, "size") == 0) {
		e->size = value;
		e->has_size = true;
	}
}

static void set_string(struct golden_entry *e, const char *key, const char *value)
{
	if (strcmp(key, "path") == 0)
		strncpy(e->path, value, sizeof(e->path) - 1);
	else if (strcmp(key, "target") == 0)
		strncpy(e->target, value, sizeof(e->target) - 1);
	else if (strcmp(key, "sha256") == 0)
		strncpy(e->sha256, value, sizeof(e->sha256) - 1);
}

static const char *read_object(const char *p, struct golden_entry *e)
{
	char key[64], value[512];
	memset(e, 0, sizeof(*e));
	p = skip_space(p);
	if (*p != '{')
		return NULL;
	p++;
	for (;;) {
		p = skip_space(p);
		if (*p == '}')
			return p + 1;
		p = read_string(p, key, sizeof(key));
		if (p == NULL)
			return NULL;
		p = skip_space(p);
		if (*p != ':')
			return NULL;
		p = skip_space(p + 1);
		if (*p == '"') {
			p = read_string(p, value, sizeof(value));
			if (p == NULL)
				return NULL;
			set_string(e, key, value);
		} else {
			char *end = NULL;
			u64 v = strtoull(p, &end, 10);
			if (end == p)
				return NULL;
			set_number(e, key, v);
			p = end;
		}
	}
}

int golden_parse_listing(const char *json, struct golden_entry *out, int max)
{
	const char *p = strstr(json, "\"listing\"");
	if (p == NULL)
		return -1;
	p = strchr(p, '[');
	if (p == NULL)
		return -1;
	p++;
	int count = 0;
	for (;;) {
		p = skip_space(p);
		if (*p == ']')
			return count;
		if (count >= max)
			return -1;
		p = read_object(p, &out[count]);
		if (p == NULL)
			return -1;
		count++;
	}
}
