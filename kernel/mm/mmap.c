/*
 * mmap.c: mmap, munmap, mprotect, mremap, madvise and brk.
 *
 * Trust: every argument is raw user input. Each call checks alignment,
 * length overflow and the user range first, then changes the VMA list
 * (vma.c). Pages appear on first touch (fault.c).
 *
 * Shared mappings map the file's own pages (tmpfs and the root overlay
 * keep file data in memory, so there is nothing to write back);
 * MAP_SHARED|MAP_ANONYMOUS is a mapping of an unnamed tmpfs file.
 *
 * Not supported (honest errors, not fake success): files without pages
 * to map (-ENODEV), MAP_32BIT and MAP_HUGETLB (-EINVAL), mremap of
 * old_len 0.
 */
#include "mm/mmap.h"

#include "fs/tmpfs.h"
#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "mm/vma.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/mman.h"

#define PROT_KNOWN (PROT_READ | PROT_WRITE | PROT_EXEC)
#define DEV_ZERO_RDEV ((1ULL << 8) | 5) /* char 1:5, fs/devfs.c */

/* Round len up to pages; 0 when it would overflow or leave user space. */
static u64 page_len(u64 len)
{
	if (len == 0 || len > USER_TOP)
		return 0;
	return ALIGN_UP(len, PAGE_SIZE);
}

static bool range_ok(u64 addr, u64 len)
{
	return addr >= USER_BOTTOM && addr < USER_TOP && len <= USER_TOP - addr;
}

/* A memfd sealed with F_SEAL_WRITE or F_SEAL_FUTURE_WRITE. */
static bool sealed_against_writes(const struct file *file)
{
	int seals = tmpfs_get_seals(file);
	return seals > 0 && (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE));
}

/* Is the file on a noexec mount? */
static bool file_noexec(const struct file *file)
{
	return file->inode != NULL && (vfs_mount_flags(file->inode) & VFS_MOUNT_NOEXEC);
}

/* May this open file be mapped this way? */
static long check_file_access(struct file *file, u32 prot, bool shared)
{
	u32 acc = file->flags & O_ACCMODE;
	if (file->flags & O_PATH)
		return -EBADF;
	if (acc == O_WRONLY)
		return -EACCES;
	if (shared && (prot & PROT_WRITE) && acc != O_RDWR)
		return -EACCES;
	if (file->ops == NULL || file->ops->get_page == NULL)
		return -ENODEV;
	if (shared && (prot & PROT_WRITE) && !file->ops->shared_writable) {
		kprintf("mmap: writable MAP_SHARED of a file that cannot share its pages\n");
		return -ENODEV;
	}
	if (shared && (prot & PROT_WRITE) && sealed_against_writes(file))
		return -EPERM;
	if ((prot & PROT_EXEC) && file_noexec(file))
		return -EPERM; /* Linux: noexec mounts refuse executable mappings */
	return 0;
}

/* May a shared mapping of this open file be made writable later
 * (mprotect)? Only when it could have been mapped writable now. */
static bool may_write_shared(const struct file *file)
{
	return (file->flags & O_ACCMODE) == O_RDWR && !(file->flags & O_PATH) &&
	       file->ops != NULL && file->ops->shared_writable && !sealed_against_writes(file);
}

/* Pick the address: the hint if it is free, else a hole. 0 = none. */
static u64 choose_addr(struct mm *mm, u64 hint, u64 len)
{
	if (hint && hint % PAGE_SIZE == 0 && range_ok(hint, len) &&
	    vma_range_free(mm, hint, hint + len))
		return hint;
	return vma_find_hole(mm, len);
}

static bool is_dev_zero(const struct file *file)
{
	const struct inode *inode = file->inode;
	return inode != NULL && (inode->mode & S_IFMT) == S_IFCHR && inode->rdev == DEV_ZERO_RDEV;
}

/* MAP_SHARED|MAP_ANONYMOUS: a mapping of an unnamed tmpfs file, so the
 * pages are shared with every process that inherits the mapping. */
static long map_shared_anon(struct mm *mm, u64 addr, u64 len, u32 prot, u32 vflags)
{
	struct file *backing = NULL;
	long err = tmpfs_anon_file(len, &backing);
	if (err)
		return err == -ENOSPC ? -ENOMEM : err;
	err = vma_add(mm, addr, addr + len, prot, vflags, backing, 0, len);
	file_put(backing); /* the VMA holds its own reference */
	return err ? err : (long)addr;
}

long mm_mmap(struct mm *mm, u64 addr, u64 len, u32 prot, u32 flags, struct file *file,
             u64 offset)
{
	u32 type = flags & MAP_TYPE;
	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (prot & ~(u32)PROT_KNOWN)
		return -EINVAL;
	if (flags & (MAP_32BIT | MAP_HUGETLB))
		return -EINVAL;
	len = page_len(len);
	if (len == 0 || offset % PAGE_SIZE != 0)
		return -EINVAL;
	/* Linux: a mapping of /dev/zero is anonymous memory (shared ones too). */
	bool anon = (flags & MAP_ANONYMOUS) || (file != NULL && is_dev_zero(file));
	bool shared = type != MAP_PRIVATE;
	if (!anon) {
		if (!file)
			return -EBADF;
		if (offset > ~0ull - len)
			return -EOVERFLOW;
		long err = check_file_access(file, prot, shared);
		if (err)
			return err;
	}

	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	if (fixed) {
		if (addr % PAGE_SIZE != 0)
			return -EINVAL;
		if (addr < USER_BOTTOM)
			return -EPERM; /* like vm.mmap_min_addr */
		if (!range_ok(addr, len))
			return -ENOMEM;
		if (!vma_range_free(mm, addr, addr + len)) {
			if (flags & MAP_FIXED_NOREPLACE)
				return -EEXIST;
			long err = vma_remove(mm, addr, addr + len);
			if (err)
				return err;
		}
	} else {
		addr = choose_addr(mm, addr, len);
		if (addr == 0)
			return -ENOMEM;
	}

	u32 vflags = (shared ? VMA_SHARED : 0) | (anon ? VMA_ANON : 0);
	if (shared && (anon || may_write_shared(file)))
		vflags |= VMA_MAYWRITE;
	if (!anon && file_noexec(file))
		vflags |= VMA_NOEXEC;
	if (anon && shared)
		return map_shared_anon(mm, addr, len, prot, vflags);
	int err = vma_add(mm, addr, addr + len, prot, vflags, anon ? NULL : file,
	                  anon ? 0 : offset, anon ? 0 : offset + len);
	if (err)
		return err;
	return (long)addr;
}

long mm_map_shm(struct mm *mm, u64 addr, u64 len, u32 prot, bool replace, struct file *file)
{
	len = page_len(len);
	if (len == 0)
		return -EINVAL;
	if (addr == 0) {
		addr = vma_find_hole(mm, len);
		if (addr == 0)
			return -ENOMEM;
	} else if (addr % PAGE_SIZE != 0 || !range_ok(addr, len)) {
		return -EINVAL;
	} else if (!vma_range_free(mm, addr, addr + len)) {
		if (!replace)
			return -EINVAL;
		long err = vma_remove(mm, addr, addr + len);
		if (err)
			return err;
	}
	/* A read-only attach stays read-only (Linux opens it O_RDONLY). */
	u32 vflags = VMA_SHARED | VMA_SYSV_SHM | ((prot & PROT_WRITE) ? VMA_MAYWRITE : 0);
	int err = vma_add(mm, addr, addr + len, prot, vflags, file, 0, len);
	return err ? err : (long)addr;
}

long mm_munmap(struct mm *mm, u64 addr, u64 len)
{
	if (addr % PAGE_SIZE != 0)
		return -EINVAL;
	len = page_len(len);
	if (len == 0 || addr >= USER_TOP || len > USER_TOP - addr)
		return -EINVAL;
	return vma_remove(mm, addr, addr + len);
}

long mm_mprotect(struct mm *mm, u64 addr, u64 len, u32 prot)
{
	if (addr % PAGE_SIZE != 0)
		return -EINVAL;
	if (prot & ~(u32)(PROT_KNOWN | PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (len == 0)
		return 0;
	len = page_len(len);
	if (len == 0 || !range_ok(addr, len))
		return -ENOMEM;
	return vma_protect(mm, addr, addr + len, prot & PROT_KNOWN);
}

/* mremap growth: try to extend the VMA ending at old_end in place. */
static bool grow_in_place(struct mm *mm, struct vma *v, u64 old_end, u64 new_end)
{
	if (v->end != old_end || !range_ok(old_end, new_end - old_end))
		return false;
	if (!vma_range_free(mm, old_end, new_end))
		return false;
	u64 offset = v->file ? v->offset + (old_end - v->start) : 0;
	u64 file_end = v->file ? v->file_end + (new_end - old_end) : 0;
	/* Keeping file_end consistent lets vma_add merge the two parts. */
	if (v->file)
		v->file_end = file_end;
	return vma_add(mm, old_end, new_end, v->prot, v->flags, v->file, offset, file_end) == 0;
}

static long move_mapping(struct mm *mm, struct vma *v, u64 old_addr, u64 old_len,
                         u64 new_len, u64 new_addr)
{
	u64 offset = v->file ? v->offset + (old_addr - v->start) : 0;
	u64 file_end = v->file ? v->file_end : 0;
	if (v->file && offset + new_len > file_end)
		file_end = offset + new_len;
	long err = vma_add(mm, new_addr, new_addr + new_len, v->prot, v->flags, v->file, offset,
	                   file_end);
	if (err)
		return err;
	/* v may have been merged away by vma_add; it is not used below. */
	err = vma_move_pages(mm, old_addr, new_addr, MIN(old_len, new_len));
	if (err)
		return err;
	err = vma_remove(mm, old_addr, old_addr + old_len);
	if (err)
		return err;
	return (long)new_addr;
}

long mm_mremap(struct mm *mm, u64 old_addr, u64 old_len, u64 new_len, u32 flags,
               u64 new_addr)
{
	if (flags & ~(u32)(MREMAP_MAYMOVE | MREMAP_FIXED))
		return -EINVAL; /* MREMAP_DONTUNMAP is not supported */
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if (old_addr % PAGE_SIZE != 0)
		return -EINVAL;
	old_len = ALIGN_UP(old_len, PAGE_SIZE);
	new_len = page_len(new_len);
	if (old_len == 0 || new_len == 0)
		return -EINVAL;
	if (!range_ok(old_addr, old_len))
		return -EFAULT;
	struct vma *v = vma_find(mm, old_addr);
	if (!v || v->end < old_addr + old_len)
		return -EFAULT; /* must lie inside one mapping */

	if (flags & MREMAP_FIXED) {
		if (new_addr % PAGE_SIZE != 0 || !range_ok(new_addr, new_len))
			return -EINVAL;
		if (new_addr < old_addr + old_len && old_addr < new_addr + new_len)
			return -EINVAL; /* overlapping ranges */
		long err = vma_remove(mm, new_addr, new_addr + new_len);
		if (err)
			return err;
		v = vma_find(mm, old_addr);
		return move_mapping(mm, v, old_addr, old_len, new_len, new_addr);
	}
	if (new_len <= old_len) {
		if (new_len < old_len) {
			long err = vma_remove(mm, old_addr + new_len, old_addr + old_len);
			if (err)
				return err;
		}
		return (long)old_addr;
	}
	if (grow_in_place(mm, v, old_addr + old_len, old_addr + new_len))
		return (long)old_addr;
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	u64 target = vma_find_hole(mm, new_len);
	if (target == 0)
		return -ENOMEM;
	return move_mapping(mm, v, old_addr, old_len, new_len, target);
}

long mm_madvise(struct mm *mm, u64 addr, u64 len, int advice)
{
	if (addr % PAGE_SIZE != 0)
		return -EINVAL;
	if (len == 0)
		return 0;
	len = page_len(len);
	if (len == 0 || !range_ok(addr, len))
		return -EINVAL;
	switch (advice) {
	case MADV_DONTNEED:
	case MADV_FREE:
		/* Private pages refault as zero (anonymous) or file data. */
		for (struct vma *v = vma_find_next(mm, addr); v && v->start < addr + len;
		     v = v->next) {
			u64 s = MAX(v->start, addr);
			u64 e = MIN(v->end, addr + len);
			vma_zap(mm, s, e);
		}
		return 0;
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
		return 0; /* hints: Linux may ignore them too */
	default:
		return -EINVAL;
	}
}

u64 mm_brk(struct mm *mm, u64 addr)
{
	if (addr < mm->brk_start || addr >= USER_MMAP_TOP)
		return mm->brk;
	u64 old_end = ALIGN_UP(mm->brk, PAGE_SIZE);
	u64 new_end = ALIGN_UP(addr, PAGE_SIZE);
	if (new_end > old_end) {
		if (!vma_range_free(mm, old_end, new_end))
			return mm->brk;
		if (vma_add(mm, old_end, new_end, PROT_READ | PROT_WRITE, VMA_ANON | VMA_HEAP, NULL,
		            0, 0) != 0)
			return mm->brk;
	} else if (new_end < old_end) {
		if (vma_remove(mm, new_end, old_end) != 0)
			return mm->brk;
	}
	mm->brk = addr;
	return mm->brk;
}
