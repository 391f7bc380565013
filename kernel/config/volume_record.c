/*
 * volume_record.c: decoding the VOLUME override (volume_record.h).
 *
 *   u32 flags (bit 0 read-only, others zero), u32 reserved (zero),
 *   u8[16] uuid, u64 generation (>= 1), u8[48] volume root,
 *   then the target path (the rest of the value, no NUL).
 */
#include "config/volume_record.h"
#include "fs/cvmfs_format.h"
#include "lib/string.h"

bool config_path_normal(const char *p, size_t len)
{
	if (len < 2 || p[0] != '/' || p[len - 1] == '/')
		return false;
	for (size_t i = 0; i < len;) {
		size_t end = i + 1;
		while (end < len && p[end] != '/')
			end++;
		size_t n = end - i - 1;
		if (n == 0 || (n == 1 && p[i + 1] == '.') || (n == 2 && p[i + 1] == '.' && p[i + 2] == '.'))
			return false;
		if (n > 255)
			return false;
		i = end;
	}
	return true;
}

const char *config_volume_decode(const u8 *value, u32 length, struct config_volume *out)
{
	if (length <= CONFIG_VOLUME_FIXED || length - CONFIG_VOLUME_FIXED >= sizeof(out->path))
		return "VOLUME has the wrong length";
	out->flags = cvmfs_le32(value);
	if ((out->flags & ~CONFIG_VOLUME_READ_ONLY) != 0 || cvmfs_le32(value + 4) != 0)
		return "VOLUME has unknown flags";
	memcpy(out->uuid, value + 8, sizeof(out->uuid));
	out->generation = cvmfs_le64(value + 24);
	if (out->generation == 0)
		return "VOLUME generation is 0";
	memcpy(out->root, value + 32, sizeof(out->root));
	size_t len = length - CONFIG_VOLUME_FIXED;
	const char *path = (const char *)value + CONFIG_VOLUME_FIXED;
	if (strnlen(path, len) != len || !config_path_normal(path, len))
		return "VOLUME target is not a normalized absolute path";
	memcpy(out->path, path, len);
	out->path[len] = 0;
	return NULL;
}

bool config_volume_allowed(const char *path, char *const *allowed, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(allowed[i], path) == 0)
			return true;
	return false;
}
