/*
 * mmap.h: the Linux memory-mapping calls on an address space, with Linux
 * semantics and error codes. The syscall layer passes raw user values
 * (they are checked here) and a resolved, borrowed struct file.
 */
#ifndef CVMIFY_MM_MMAP_H
#define CVMIFY_MM_MMAP_H

#include "lib/types.h"

struct mm;
struct file;

/* Returns the mapped address or -errno. file is NULL for MAP_ANONYMOUS. */
long mm_mmap(struct mm *mm, u64 addr, u64 len, u32 prot, u32 flags, struct file *file,
             u64 offset);
long mm_munmap(struct mm *mm, u64 addr, u64 len);
long mm_mprotect(struct mm *mm, u64 addr, u64 len, u32 prot);
long mm_mremap(struct mm *mm, u64 old_addr, u64 old_len, u64 new_len, u32 flags,
               u64 new_addr);
long mm_madvise(struct mm *mm, u64 addr, u64 len, int advice);
/* A System V shared memory attach (mm/shm.c): a shared, VMA_SYSV_SHM
 * mapping of len bytes of file from offset 0. addr 0: a free hole;
 * otherwise page-aligned, and it must be free unless replace. Returns
 * the address or -errno (-EINVAL for an address that is not usable). */
long mm_map_shm(struct mm *mm, u64 addr, u64 len, u32 prot, bool replace, struct file *file);
/* brk(addr): returns the new break, or the unchanged one on failure. */
u64 mm_brk(struct mm *mm, u64 addr);

#endif
