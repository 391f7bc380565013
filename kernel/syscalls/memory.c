/*
 * memory.c: brk, mmap, munmap, mprotect, mremap, madvise, msync, mlock.
 * Thin: resolve the fd, then mm/mmap.c applies Linux semantics and
 * checks every value.
 */
#include "fs/vfs.h"
#include "mm/mmap.h"
#include "mm/vma.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/mman.h"

long sys_brk(const struct syscall_args *args)
{
	return (long)mm_brk(current_task()->mm, args->a[0]);
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
	return sys_msync(args);
}
