/*
 * tmpfs_record.c: decoding the TMPFS_MOUNT override (tmpfs_record.h).
 *
 *   u64 size in bytes (0: the default), u32 mode (<= 07777), u32 uid,
 *   u32 gid (neither 0xffffffff), u32 flags (CONFIG_TMPFS_*, no other bit),
 *   then the mount point (the rest of the value, no NUL).
 */
#include "config/tmpfs_record.h"
#include "config/volume_record.h"
#include "fs/cvmfs_format.h"
#include "lib/string.h"

const char *config_tmpfs_decode(const u8 *value, u32 length, struct config_tmpfs *out)
{
	if (length <= CONFIG_TMPFS_FIXED || length - CONFIG_TMPFS_FIXED >= sizeof(out->path))
		return "TMPFS_MOUNT has the wrong length";
	out->size = cvmfs_le64(value);
	out->mode = cvmfs_le32(value + 8);
	out->uid = cvmfs_le32(value + 12);
	out->gid = cvmfs_le32(value + 16);
	out->flags = cvmfs_le32(value + 20);
	if (out->mode > 07777 || (out->flags & ~(u32)CONFIG_TMPFS_FLAGS) != 0)
		return "TMPFS_MOUNT mode or flags field";
	if (out->uid == 0xffffffffU || out->gid == 0xffffffffU)
		return "TMPFS_MOUNT owner is an invalid id";
	size_t len = length - CONFIG_TMPFS_FIXED;
	const char *path = (const char *)value + CONFIG_TMPFS_FIXED;
	if (strnlen(path, len) != len || !config_path_normal(path, len))
		return "TMPFS_MOUNT path is not a normalized absolute path";
	memcpy(out->path, path, len);
	out->path[len] = 0;
	return NULL;
}
