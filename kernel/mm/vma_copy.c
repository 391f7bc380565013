/*
 * vma_copy.c: fork's copy of an address space. Eager: every present page
 * is copied now (no copy-on-write yet), which keeps the rule "one page,
 * one PTE, one owner" that vma.c relies on.
 */
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "mm/vma.h"
#include "syscalls/linux_abi/errno.h"

#define PT_SPAN_2M (2ull << 20)

/* Copy the present pages of v from src into dst (same addresses). */
static int copy_pages(struct mm *dst, struct mm *src, const struct vma *v)
{
	u64 va = v->start;
	while (va < v->end) {
		u64 *pte = pt_lookup(src->root, va);
		if (!pte) {
			va = ALIGN_DOWN(va, PT_SPAN_2M) + PT_SPAN_2M;
			continue;
		}
		if (*pte & PTE_P) {
			void *page = page_alloc();
			if (!page)
				return -ENOMEM;
			memcpy(page, phys_to_virt(*pte & PTE_ADDR_MASK), PAGE_SIZE);
			u64 flags = *pte & ~PTE_ADDR_MASK & ~(PTE_P | PTE_A | PTE_D);
			if (pt_map(dst->root, va, virt_to_phys(page), flags) != 0) {
				page_free(page);
				return -ENOMEM;
			}
			dst->page_count++;
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
	for (const struct vma *v = src->vmas; v; v = v->next) {
		if (vma_add(dst, v->start, v->end, v->prot, v->flags, v->file, v->offset,
		            v->file_end) != 0 ||
		    copy_pages(dst, src, v) != 0) {
			mm_destroy(dst);
			return NULL;
		}
	}
	dst->brk_start = src->brk_start;
	dst->brk = src->brk;
	dst->mmap_top = src->mmap_top;
	dst->stack_top = src->stack_top;
	return dst;
}
