/*
 * memory.c: brk, mmap, munmap, mprotect, mremap, madvise, msync, mlock,
 * mlockall, mincore.
 * Thin: resolve the fd, then mm/mmap.c applies Linux semantics and
 * checks every value.
 */
#include "fs/vfs.h"
#include "mm/kpt.h"
#include "mm/mmap.h"
#include "mm/uaccess.h"
#include "mm/vma.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/rlimits.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/mman.h"

long sys_brk(const struct syscall_args *args)
{
	struct mm *mm = current_task()->mm;
	if (!rlimit_brk_ok(args->a[0]))
		return (long)mm->brk; /* brk answers the old break on failure */
	return (long)mm_brk(mm, args->a[0]);
}

long sys_mmap(const struct syscall_args *args)
{
	u32 flags = (u32)args->a[3];
	struct file *file = NULL;
	if (!(flags & MAP_ANONYMOUS)) {
		int err = file_of(arg_int(args->a[4]), &file);
		if (err)
			return err;
	}
	long err = rlimit_map(args->a[0], args->a[1], (u32)args->a[2], flags);
	if (err)
		return err;
	return mm_mmap(current_task()->mm, args->a[0], args->a[1], (u32)args->a[2], flags, file,
	               args->a[5]);
}

long sys_munmap(const struct syscall_args *args)
{
	return mm_munmap(current_task()->mm, args->a[0], args->a[1]);
}

long sys_mprotect(const struct syscall_args *args)
{
	return mm_mprotect(current_task()->mm, args->a[0], args->a[1], (u32)args->a[2]);
}

long sys_mremap(const struct syscall_args *args)
{
	/* Growing counts against RLIMIT_AS (and DATA, as private writable). */
	if (args->a[2] > args->a[1]) {
		long err = rlimit_map(0, args->a[2] - args->a[1], PROT_READ | PROT_WRITE, MAP_PRIVATE);
		if (err)
			return err;
	}
	return mm_mremap(current_task()->mm, args->a[0], args->a[1], args->a[2], (u32)args->a[3],
	                 args->a[4]);
}

long sys_madvise(const struct syscall_args *args)
{
	return mm_madvise(current_task()->mm, args->a[0], args->a[1], arg_int(args->a[2]));
}

/* Linux insists the range is mapped. Shared pages of tmpfs and the
 * overlay are the file itself: nothing to write back. */
#define MS_SYNC_FLAG 4 /* msync(2): MS_SYNC */

long sys_msync(const struct syscall_args *args)
{
	u64 addr = args->a[0];
	u64 len = ALIGN_UP(args->a[1], PAGE_SIZE);
	if (addr % PAGE_SIZE != 0 || addr >= USER_TOP || len > USER_TOP - addr)
		return -EINVAL;
	struct mm *mm = current_task()->mm;
	for (u64 at = addr; at < addr + len;) {
		struct vma *v = vma_find(mm, at);
		if (!v)
			return -ENOMEM;
		at = v->end;
	}
	/* MS_SYNC on a volume's file: its changes are committed (fs/sync.c);
	 * shared pages of every other file already are the file. */
	if (args->a[2] & MS_SYNC_FLAG) {
		for (u64 at = addr; at < addr + len;) {
			struct vma *v = vma_find(mm, at);
			if (v->file != NULL) {
				int err = vfs_fsync(v->file);
				if (err < 0)
					return err;
			}
			at = v->end;
		}
	}
	return 0;
}

/* mlock/munlock: pages are never swapped, so memory is always "locked";
 * Linux checks the range the same way. */
long sys_mlock(const struct syscall_args *args)
{
	long err = sys_msync(args);
	return err ? err : rlimit_memlock(args->a[1]);
}

/* mincore: one byte per page of [addr, addr + len): 1 when the page is
 * in memory (mapped in the page tables), 0 when it would be faulted in.
 * Every page of the range must belong to a mapping (else ENOMEM). */
long sys_mincore(const struct syscall_args *args)
{
	u64 addr = args->a[0];
	u64 len = args->a[1];
	u64 uvec = args->a[2];
	if (addr % PAGE_SIZE != 0)
		return -EINVAL;
	if (len > USER_TOP || addr >= USER_TOP || ALIGN_UP(len, PAGE_SIZE) > USER_TOP - addr)
		return -ENOMEM;
	u64 pages = ALIGN_UP(len, PAGE_SIZE) / PAGE_SIZE;
	struct mm *mm = current_task()->mm;
	for (u64 at = addr; at < addr + pages * PAGE_SIZE;) {
		struct vma *v = vma_find(mm, at);
		if (!v)
			return -ENOMEM;
		at = v->end;
	}
	u8 chunk[256];
	for (u64 done = 0; done < pages;) {
		u64 n = MIN(pages - done, (u64)sizeof(chunk));
		for (u64 i = 0; i < n; i++) {
			u64 *pte = pt_lookup(mm->root, addr + (done + i) * PAGE_SIZE);
			chunk[i] = pte != NULL && (*pte & PTE_P) ? 1 : 0;
		}
		if (copyout(uvec + done, chunk, n) != 0)
			return -EFAULT;
		done += n;
	}
	return 0;
}

/* mlockall/munlockall: pages are never swapped out, so every mapping is
 * locked already; the flags are checked as Linux checks them. */
#define MCL_CURRENT 1
#define MCL_FUTURE 2
#define MCL_ONFAULT 4

long sys_mlockall(const struct syscall_args *args)
{
	u64 flags = args->a[0];
	if (!flags || (flags & ~(u64)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) ||
	    flags == MCL_ONFAULT)
		return -EINVAL;
	return rlimit_memlock((flags & MCL_CURRENT) ? rlimit_vm_total() : 1);
}

long sys_munlockall(const struct syscall_args *args)
{
	(void)args;
	return 0;
}

/* mlock2: mlock with MLOCK_ONFAULT, which changes nothing here either. */
#define MLOCK_ONFAULT 1

long sys_mlock2(const struct syscall_args *args)
{
	if (args->a[2] & ~(u64)MLOCK_ONFAULT)
		return -EINVAL;
	return sys_mlock(args);
}

/* munlock: only the range check (nothing is ever locked in). */
long sys_munlock(const struct syscall_args *args)
{
	return sys_msync(args);
}
