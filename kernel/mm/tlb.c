/*
 * tlb.c: see tlb.h. Past 32 pages one CR3 reload is cheaper than that
 * many invlpg (user mappings are never global, so the reload drops all).
 */
#include "mm/tlb.h"

#include "arch/x86_64/cpu.h"
#include "mm/kpt.h"
#include "mm/vma.h"

#define FLUSH_ALL_PAGES 32

void tlb_flush_range(struct mm *mm, u64 start, u64 end)
{
	if (mm == NULL || pt_active_root() != mm->root || end <= start)
		return;
	if ((end - start) / PAGE_SIZE > FLUSH_ALL_PAGES) {
		cpu_write_cr3(cpu_read_cr3());
		return;
	}
	for (u64 va = start; va < end; va += PAGE_SIZE)
		tlb_flush_page(va);
}
