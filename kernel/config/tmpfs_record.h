/*
 * tmpfs_record.h: the TMPFS_MOUNT record of the host overrides
 * (docs/boot-config.md): one tmpfs that docker's --tmpfs PATH:OPTIONS
 * asks for, with its size limit, mode and owner.
 *
 * Trust: the value is host input. It is decoded only into the fixed
 * struct below after every length and value is checked; whether the host
 * may add tmpfs mounts at all is the measured config's ALLOW_HOST_TMPFS
 * (overrides.c).
 */
#ifndef CVMIFY_CONFIG_TMPFS_RECORD_H
#define CVMIFY_CONFIG_TMPFS_RECORD_H

#include "lib/types.h"

#define CONFIG_TMPFS_FIXED 24           /* bytes before the path */

/* config_tmpfs.flags: the mount's flags, as docker's options set them
 * (0 in records written before flags existed: none). */
#define CONFIG_TMPFS_RDONLY 0x1         /* ro: writes give -EROFS */
#define CONFIG_TMPFS_NOSUID 0x2         /* set-id bits are ignored by execve */
#define CONFIG_TMPFS_NODEV 0x4          /* recorded only: tmpfs holds no device nodes */
#define CONFIG_TMPFS_NOEXEC 0x8         /* execve -EACCES, mmap PROT_EXEC -EPERM */
#define CONFIG_TMPFS_FLAGS 0xf

struct config_tmpfs {
	u64 size;                       /* bytes; 0: the default (half of memory) */
	u32 mode;                       /* the root directory's mode bits, <= 07777 */
	u32 uid;
	u32 gid;
	u32 flags;                      /* CONFIG_TMPFS_* */
	char path[4096];                /* absolute, normalized, NUL-terminated */
};

/* Decode and check one TMPFS_MOUNT value; NULL, or why it is refused. */
const char *config_tmpfs_decode(const u8 *value, u32 length, struct config_tmpfs *out);

#endif
