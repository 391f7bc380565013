/* struct statfs as x86-64 Linux lays it out (statfs, fstatfs). */
#ifndef LINUX_ABI_STATFS_H
#define LINUX_ABI_STATFS_H

#include "lib/types.h"

struct linux_statfs {
	s64 f_type;
	s64 f_bsize;
	u64 f_blocks;
	u64 f_bfree;
	u64 f_bavail;
	u64 f_files;
	u64 f_ffree;
	s32 f_fsid[2];
	s64 f_namelen;
	s64 f_frsize;
	s64 f_flags;
	s64 f_spare[4];
};
_Static_assert(sizeof(struct linux_statfs) == 120, "struct statfs is 120 bytes");

/* f_flags */
#define ST_RDONLY 0x0001
#define ST_VALID 0x0020

/* utimensat's special tv_nsec values */
#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

#endif
