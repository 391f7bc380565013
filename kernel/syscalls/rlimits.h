/*
 * rlimits.h: resource-limit checks of the syscall layer (rlimits.c).
 */
#ifndef CVMIFY_SYSCALLS_RLIMITS_H
#define CVMIFY_SYSCALLS_RLIMITS_H

#include "lib/types.h"

struct file;
struct inode;

/* A write of *size bytes at pos: 0 (with *size cut to stop at
 * RLIMIT_FSIZE), or -EFBIG with SIGXFSZ posted when pos is at or past it.
 * Only regular files count. */
long rlimit_fsize(struct file *f, u64 pos, size_t *size);
/* Truncating (or extending) a regular file to size. */
long rlimit_truncate(struct inode *inode, u64 size);
/* Where a write to f goes: the explicit offset, the end with O_APPEND,
 * else the file offset. */
u64 rlimit_write_pos(struct file *f, bool explicit_offset, s64 offset);

/* A new mapping of len bytes (mmap flags and prot): -ENOMEM past
 * RLIMIT_AS, or past RLIMIT_DATA for private writable memory. */
long rlimit_map(u64 addr, u64 len, u32 prot, u32 map_flags);
/* May the heap end move to new_brk? */
bool rlimit_brk_ok(u64 new_brk);
/* Locking len bytes: -ENOMEM past RLIMIT_MEMLOCK, -EPERM when it is 0. */
long rlimit_memlock(u64 len);
/* The caller's mapped bytes (mlockall locks them all). */
u64 rlimit_vm_total(void);

#endif
