/*
 * vma_copy.c: fork's copy of an address space, copy-on-write
 * (docs/kernel-memory.md). The child gets the same VMAs (file references
 * taken) and its own page tables pointing at the same pages, each page
 * gaining a reference per PTE. In private mappings both sides lose write
 * access, so the first write on either side copies the page (fault.c);
 * shared mappings keep their writable PTEs: that is what sharing means.
 */
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "mm/tlb.h"
#include "mm/vma.h"
#include "syscalls/linux_abi/errno.h"

#define PT_SPAN_2M (2ull << 20)

/* Share the present pages of v between src and dst (same addresses). */
static int share_pages(struct mm *dst, struct mm *src, const struct vma *v)
{
	bool shared = (v->flags & VMA_SHARED) != 0;
	u64 va = v->start;
	while (va < v->end) {
		u64 *pte = pt_lookup(src->root, va);
		if (!pte) {
			va = ALIGN_DOWN(va, PT_SPAN_2M) + PT_SPAN_2M;
			continue;
		}
		if (*pte & PTE_P) {
			if (!shared)
				*pte &= ~PTE_W;
			u64 flags = *pte & ~PTE_ADDR_MASK & ~(PTE_P | PTE_A | PTE_D);
			void *page = phys_to_virt(*pte & PTE_ADDR_MASK);
			if (pt_map(dst->root, va, virt_to_phys(page), flags) != 0)
				return -ENOMEM;
			page_get(page);
			mm_count_page(dst);
		}
		va += PAGE_SIZE;
	}
	return 0;
}

struct mm *mm_copy(struct mm *src)
{
	struct mm *dst = mm_create();
	if (!dst)
		return NULL;
	int err = 0;
	for (const struct vma *v = src->vmas; v && err == 0; v = v->next) {
		err = vma_add(dst, v->start, v->end, v->prot, v->flags, v->file, v->offset,
		              v->file_end);
		if (err == 0)
			err = share_pages(dst, src, v);
	}
	/* Write-protected PTEs of the parent must not linger in its TLB,
	 * also when the copy failed half-way. */
	tlb_flush_range(src, USER_BOTTOM, USER_TOP);
	if (err) {
		mm_destroy(dst);
		return NULL;
	}
	dst->brk_start = src->brk_start;
	dst->brk = src->brk;
	dst->mmap_top = src->mmap_top;
	dst->stack_top = src->stack_top;
	dst->vdso_base = src->vdso_base;
	return dst;
}
