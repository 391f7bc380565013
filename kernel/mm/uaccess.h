/*
 * uaccess.h: the only way the kernel touches user memory.
 *
 * Every function checks that the whole range lies below USER_TOP without
 * wrapping, then walks the current address space page by page: a missing
 * page is demand-paged like a user fault would (fault.c), a page the user
 * could not access that way (no VMA, no PROT_READ / PROT_WRITE) is
 * -EFAULT. The bytes are then copied through the kernel's direct map, so
 * no kernel-mode fault on a user address ever happens and SMAP stays on
 * for the whole kernel (no stac/clac windows). Return 0 or -EFAULT.
 */
#ifndef CVMIFY_MM_UACCESS_H
#define CVMIFY_MM_UACCESS_H

#include "lib/types.h"

int copyin(void *dst, u64 user_src, size_t size);
int copyout(u64 user_dst, const void *src, size_t size);
/* copyout into a given address space (exec fills a new one). */
struct mm;
int copyout_to(struct mm *mm, u64 user_dst, const void *src, size_t size);
/* Copy the string s into a user field of exactly field_size bytes: at
 * most field_size - 1 bytes of it, then zeros up to the end. Nothing
 * past s's NUL ever leaves the kernel (PR_GET_NAME, fixed-size names). */
int copyout_str_field(u64 user_dst, const char *s, size_t field_size);
/* copyin from a given address space (/proc/<pid>/cmdline of another
 * task), faulting pages in for it as Linux's access_remote_vm does. */
int copyin_from(struct mm *mm, void *dst, u64 user_src, size_t size);
/* Zero size bytes of user memory. */
int clear_user(u64 user_dst, size_t size);
/* Copy a NUL-terminated string of at most size-1 bytes + NUL into dst.
 * Returns its length, -EFAULT, or -ENAMETOOLONG when no NUL within size. */
long copyinstr(char *dst, u64 user_src, size_t size);

/* The kernel's alias of the 4-byte-aligned u32 at user address addr of
 * the current task, faulted in (writable if write), and its physical
 * address in *pa_out if not NULL; NULL if the task may not access it.
 * For futexes, which need atomic operations on the word: valid while
 * the caller holds the big kernel lock (nothing can unmap it). */
u32 *user_u32_ptr(u64 addr, bool write, u64 *pa_out);

/* True when [addr, addr+size) is a user range (no wrap, below USER_TOP). */
bool user_range_ok(u64 addr, u64 size);

#endif
