/*
 * vma.c: user address spaces (page-table root + sorted VMA list).
 *
 * Trust: callers pass page-aligned ranges inside [USER_BOTTOM, USER_TOP)
 * (the mmap syscalls check user input before calling). Each present PTE
 * holds one reference on its page (docs/kernel-memory.md): unmapping
 * drops it, and the page goes when nobody else (the page cache, a file,
 * another address space) holds one.
 */
#include "mm/vma.h"

#include "fs/vfs.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "mm/shm.h"
#include "mm/tlb.h"
#include "panic.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/mman.h"

#define PT_SPAN_2M (2ull << 20)

struct mm *mm_create(void)
{
	struct mm *mm = kzalloc(sizeof(*mm));
	if (!mm)
		return NULL;
	mm->root = pt_create_user_root();
	if (!mm->root) {
		kfree(mm);
		return NULL;
	}
	static u64 next_serial; /* big kernel lock */
	mm->serial = ++next_serial;
	mm->users = 1;
	mm->mmap_top = USER_MMAP_TOP;
	mm->stack_top = USER_STACK_TOP;
	return mm;
}

struct mm *mm_get(struct mm *mm)
{
	mm->users++;
	return mm;
}

void mm_put(struct mm *mm)
{
	ASSERT(mm->users > 0);
	if (--mm->users > 0)
		return;
	if (pt_active_root() == mm->root)
		pt_activate(kpt_kernel_root());
	mm_destroy(mm);
}

void mm_destroy(struct mm *mm)
{
	if (vma_remove(mm, USER_BOTTOM, USER_TOP) != 0)
		panic("mm_destroy: cannot remove VMAs");
	pt_destroy_user_root(mm->root);
	kfree(mm);
}

void mm_activate(struct mm *mm)
{
	pt_activate(mm->root);
}

u64 vma_pte_flags(u32 prot)
{
	u64 flags = PTE_U;
	if (prot & PROT_WRITE)
		flags |= PTE_W;
	if (!(prot & PROT_EXEC))
		flags |= PTE_NX;
	return flags;
}

struct vma *vma_find(struct mm *mm, u64 addr)
{
	for (struct vma *v = mm->vmas; v && v->start <= addr; v = v->next) {
		if (addr < v->end)
			return v;
	}
	return NULL;
}

struct vma *vma_find_next(struct mm *mm, u64 addr)
{
	for (struct vma *v = mm->vmas; v; v = v->next) {
		if (v->end > addr)
			return v;
	}
	return NULL;
}

bool vma_range_free(struct mm *mm, u64 start, u64 end)
{
	struct vma *v = vma_find_next(mm, start);
	return !v || v->start >= end;
}

/* Unmap every page mapped in [start, end) and drop the PTEs' references.
 * Skips 2 MiB spans that have no page table, so huge sparse reservations
 * stay cheap. */
static void unmap_pages(struct mm *mm, u64 start, u64 end)
{
	struct tlb_batch batch; /* pages are freed once no CPU maps them */
	tlb_batch_init(&batch, mm);
	u64 va = start;
	while (va < end) {
		u64 *pte = pt_lookup(mm->root, va);
		if (!pte) {
			va = ALIGN_DOWN(va, PT_SPAN_2M) + PT_SPAN_2M;
			continue;
		}
		if (*pte & PTE_P) {
			u64 pa = 0;
			if (pt_unmap(mm->root, va, &pa) == 0) {
				tlb_batch_add(&batch, va, phys_to_virt(pa));
				mm->page_count--;
			}
		}
		va += PAGE_SIZE;
	}
	tlb_batch_finish(&batch);
}

void vma_zap(struct mm *mm, u64 start, u64 end)
{
	unmap_pages(mm, start, end);
}

/* The pages of v that map file offsets in [from, to) (page-aligned). */
static void zap_vma_offsets(struct mm *mm, const struct vma *v, u64 from, u64 to)
{
	u64 v_end_off = v->offset + (v->end - v->start);
	u64 lo = MAX(from, v->offset);
	u64 hi = MIN(to, v_end_off);
	if (lo < hi)
		unmap_pages(mm, v->start + (lo - v->offset), v->start + (hi - v->offset));
}

void vma_zap_file_range(struct inode *inode, u64 start, u64 end, bool private_too)
{
	for (struct task *t = task_first(); t != NULL; t = t->next) {
		if (t->mm == NULL)
			continue;
		for (struct vma *v = t->mm->vmas; v != NULL; v = v->next) {
			if (v->file == NULL || v->file->inode != inode)
				continue;
			if (private_too || (v->flags & VMA_SHARED))
				zap_vma_offsets(t->mm, v, start, end);
		}
	}
}

bool vma_file_writably_mapped(struct inode *inode)
{
	for (struct task *t = task_first(); t != NULL; t = t->next) {
		if (t->mm == NULL)
			continue;
		for (struct vma *v = t->mm->vmas; v != NULL; v = v->next) {
			if (v->file != NULL && v->file->inode == inode && (v->flags & VMA_SHARED) &&
			    (v->flags & VMA_MAYWRITE))
				return true;
		}
	}
	return false;
}

static struct vma *vma_new(u64 start, u64 end, u32 prot, u32 flags, struct file *file,
                           u64 offset, u64 file_end)
{
	struct vma *v = kzalloc(sizeof(*v));
	if (!v)
		return NULL;
	v->start = start;
	v->end = end;
	v->prot = prot;
	v->flags = flags;
	v->file = file ? file_get(file) : NULL;
	v->offset = offset;
	v->file_end = file_end;
	return v;
}

static void vma_free(struct vma *v)
{
	if (v->file)
		file_put(v->file);
	kfree(v);
}

/* Two neighbours that could be one VMA (same kind, contiguous file). */
static bool vma_can_merge(const struct vma *a, const struct vma *b)
{
	if (a->end != b->start || a->prot != b->prot || a->flags != b->flags)
		return false;
	if (a->file != b->file)
		return false;
	if (!a->file)
		return true;
	return a->offset + (a->end - a->start) == b->offset && a->file_end == b->file_end;
}

/* Merge v with its successor when possible (keeps brk/stack growth and
 * repeated mmaps from growing the list). */
static void vma_merge_next(struct vma *v)
{
	struct vma *n = v->next;
	if (n && vma_can_merge(v, n)) {
		v->end = n->end;
		v->next = n->next;
		vma_free(n);
	}
}

int vma_add(struct mm *mm, u64 start, u64 end, u32 prot, u32 flags, struct file *file,
            u64 offset, u64 file_end)
{
	ASSERT(start < end && end <= USER_TOP && start % PAGE_SIZE == 0 && end % PAGE_SIZE == 0);
	ASSERT(vma_range_free(mm, start, end));
	struct vma *v = vma_new(start, end, prot, flags, file, offset, file_end);
	if (!v)
		return -ENOMEM;
	struct vma **link = &mm->vmas;
	struct vma *prev = NULL;
	while (*link && (*link)->start < start) {
		prev = *link;
		link = &(*link)->next;
	}
	v->next = *link;
	*link = v;
	vma_merge_next(v);
	if (prev)
		vma_merge_next(prev);
	return 0;
}

/* Split v at addr (strictly inside it): v keeps [start, addr), a new VMA
 * after it gets [addr, end). */
static int vma_split(struct vma *v, u64 addr)
{
	ASSERT(v->start < addr && addr < v->end);
	/* Anonymous VMAs keep the offset too: the vDSO's pages are found by
	 * it (mm/vdso.c). */
	u64 offset = v->offset + (addr - v->start);
	struct vma *n = vma_new(addr, v->end, v->prot, v->flags, v->file, offset, v->file_end);
	if (!n)
		return -ENOMEM;
	n->next = v->next;
	v->next = n;
	v->end = addr;
	return 0;
}

/* Make start and end VMA boundaries (split the VMAs that straddle them). */
static int vma_split_edges(struct mm *mm, u64 start, u64 end)
{
	struct vma *v = vma_find(mm, start);
	if (v && v->start < start) {
		int err = vma_split(v, start);
		if (err)
			return err;
	}
	v = vma_find(mm, end - 1);
	if (v && v->end > end)
		return vma_split(v, end);
	return 0;
}

int vma_remove(struct mm *mm, u64 start, u64 end)
{
	int err = vma_split_edges(mm, start, end);
	if (err)
		return err;
	struct vma **link = &mm->vmas;
	while (*link) {
		struct vma *v = *link;
		if (v->start >= end)
			break;
		if (v->end <= start) {
			link = &v->next;
			continue;
		}
		unmap_pages(mm, v->start, v->end);
		*link = v->next;
		vma_free(v);
	}
	return 0;
}

/* Rewrite the PTE flags of the present pages of v (after mprotect).
 * Write access is never added here: the next write fault grants it under
 * the write rule (a shared page must be copied, a page of the page cache
 * must never become writable in place). */
static void vma_update_ptes(struct mm *mm, struct vma *v)
{
	u64 flags = vma_pte_flags(v->prot);
	bool changed = false;
	u64 va = v->start;
	while (va < v->end) {
		u64 *pte = pt_lookup(mm->root, va);
		if (!pte) {
			va = ALIGN_DOWN(va, PT_SPAN_2M) + PT_SPAN_2M;
			continue;
		}
		if (*pte & PTE_P) {
			if (v->prot == PROT_NONE) {
				/* No access at all: drop the page; it refaults as
				 * SEGV_ACCERR until mprotect allows access again,
				 * and then reads back zero / file data. Anonymous
				 * data would be lost, so keep it but make it
				 * supervisor-only instead. */
				*pte = (*pte & PTE_ADDR_MASK) | PTE_P | PTE_NX;
			} else {
				u64 keep_w = (*pte & PTE_U) ? (*pte & PTE_W) : 0;
				*pte = (*pte & PTE_ADDR_MASK) | PTE_P | (flags & ~PTE_W) |
				       (flags & keep_w);
			}
			changed = true;
		}
		va += PAGE_SIZE;
	}
	if (changed)
		tlb_flush_range(mm, v->start, v->end); /* every CPU that uses mm */
}

int vma_protect(struct mm *mm, u64 start, u64 end, u32 prot)
{
	/* Linux: -ENOMEM if any page of the range is unmapped. */
	u64 at = start;
	for (struct vma *v = vma_find_next(mm, start); at < end; v = v->next) {
		if (!v || v->start > at)
			return -ENOMEM;
		/* A file opened read-only stays read-only through its mappings. */
		if ((prot & PROT_WRITE) && (v->flags & VMA_SHARED) && !(v->flags & VMA_MAYWRITE))
			return -EACCES;
		/* A file on a noexec mount stays non-executable. */
		if ((prot & PROT_EXEC) && (v->flags & VMA_NOEXEC))
			return -EACCES;
		at = v->end;
	}
	int err = vma_split_edges(mm, start, end);
	if (err)
		return err;
	for (struct vma *v = vma_find(mm, start); v && v->start < end; v = v->next) {
		v->prot = prot;
		vma_update_ptes(mm, v);
	}
	/* Merge neighbours that became identical. */
	for (struct vma *v = mm->vmas; v && v->start < end; ) {
		if (v->next && vma_can_merge(v, v->next))
			vma_merge_next(v);
		else
			v = v->next;
	}
	return 0;
}

u64 vma_find_hole(struct mm *mm, u64 size)
{
	u64 best = 0;
	u64 prev_end = USER_BOTTOM;
	for (struct vma *v = mm->vmas;; v = v->next) {
		u64 gap_end = v ? v->start : mm->mmap_top;
		if (gap_end > mm->mmap_top)
			gap_end = mm->mmap_top;
		if (gap_end > prev_end && gap_end - prev_end >= size)
			best = gap_end - size;
		if (!v || v->start >= mm->mmap_top)
			break;
		prev_end = v->end;
	}
	return best;
}

int vma_move_pages(struct mm *mm, u64 old_start, u64 new_start, u64 size)
{
	struct tlb_batch batch; /* the old addresses, forgotten everywhere */
	tlb_batch_init(&batch, mm);
	int err = 0;
	for (u64 off = 0; off < size && !err; off += PAGE_SIZE) {
		u64 *pte = pt_lookup(mm->root, old_start + off);
		if (!pte || !(*pte & PTE_P))
			continue;
		u64 flags = *pte & ~PTE_ADDR_MASK & ~(PTE_A | PTE_D);
		u64 pa = 0;
		pt_unmap(mm->root, old_start + off, &pa);
		err = pt_map(mm->root, new_start + off, pa, flags & ~PTE_P);
		if (err) {
			/* Only -ENOMEM for a page table; the page is lost to
			 * the app but not leaked. */
			tlb_batch_add(&batch, old_start + off, phys_to_virt(pa));
			mm->page_count--;
		} else {
			tlb_batch_add(&batch, old_start + off, NULL);
		}
	}
	tlb_batch_finish(&batch);
	return err;
}

static char prot_char(u32 prot, u32 bit, char c)
{
	return (prot & bit) ? c : '-';
}

/* Linux names a System V shared memory attach after its key. */
static const char *sysv_name(const struct file *file, char *buf, size_t size)
{
	snprintf(buf, size, "/SYSV%08x (deleted)", (unsigned)shm_key_of(file));
	return buf;
}

long vma_format_maps(struct mm *mm, char *buf, size_t size)
{
	size_t used = 0;
	for (struct vma *v = mm->vmas; v; v = v->next) {
		char line[160];
		char sysv[32];
		const char *name = "";
		if (v->flags & VMA_STACK)
			name = "[stack]";
		else if (v->flags & VMA_HEAP)
			name = "[heap]";
		else if (v->flags & VMA_SYSV_SHM)
			name = sysv_name(v->file, sysv, sizeof(sysv));
		else if ((v->flags & VMA_ANON) && v->file)
			name = "/dev/zero (deleted)"; /* shared anonymous, as Linux shows it */
		else if (v->flags & VMA_VDSO)
			name = "[vdso]";
		else if (v->flags & VMA_VVAR)
			name = "[vvar]";
		int n = snprintf(line, sizeof(line), "%012llx-%012llx %c%c%c%c %08llx 00:00 %llu %s\n",
		                  (unsigned long long)v->start, (unsigned long long)v->end,
		                  prot_char(v->prot, PROT_READ, 'r'), prot_char(v->prot, PROT_WRITE, 'w'),
		                  prot_char(v->prot, PROT_EXEC, 'x'), (v->flags & VMA_SHARED) ? 's' : 'p',
		                  (unsigned long long)v->offset,
		                  (unsigned long long)(v->file && v->file->inode ? v->file->inode->ino : 0),
		                  name);
		if (n < 0)
			break;
		if (used + (size_t)n > size)
			break;
		memcpy(buf + used, line, (size_t)n);
		used += (size_t)n;
	}
	return (long)used;
}
