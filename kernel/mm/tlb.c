/*
 * tlb.c: TLB shootdowns across CPUs (tlb.h).
 *
 * One request at a time (the sender holds the big kernel lock): the
 * range and a mask of CPUs that still have to flush. A target flushes in
 * its IPI handler and clears its bit; the sender spins until the mask is
 * empty. Ordering: the sender changed the page tables before it reads
 * mm->cpu_mask, with a full fence between the two; a CPU that joins the
 * mask later loads CR3 after joining, which flushes its TLB anyway.
 * No PCIDs: every CR3 load drops the user half.
 */
#include "mm/tlb.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/percpu.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "mm/vma.h"
#include "panic.h"
#include "platform/platform.h"

/* Above this many pages a full flush is cheaper than invlpg each. */
#define FLUSH_ALL_PAGES 32
#define SHOOTDOWN_TIMEOUT_S 20

static struct {
	u64 start, end;
	bool kernel;              /* kernel range: global entries too */
	u64 pending;              /* CPUs that have not flushed yet */
} g_request;

static u64 g_shootdowns;

u64 tlb_shootdown_count(void)
{
	return __atomic_load_n(&g_shootdowns, __ATOMIC_RELAXED);
}

void tlb_switch_mm(struct mm *prev, struct mm *next)
{
	u64 bit = 1ULL << this_cpu()->index;
	if (prev == next)
		return;
	if (next) {
		__atomic_or_fetch(&next->cpu_mask, bit, __ATOMIC_SEQ_CST);
		pt_activate(next->root);
	} else {
		pt_activate(kpt_kernel_root());
	}
	if (prev)
		__atomic_and_fetch(&prev->cpu_mask, ~bit, __ATOMIC_SEQ_CST);
}

static void flush_local(u64 start, u64 end, bool kernel)
{
	if ((end - start) / PAGE_SIZE > FLUSH_ALL_PAGES) {
		if (kernel)
			tlb_flush_all();
		else
			cpu_write_cr3(cpu_read_cr3()); /* drops non-global entries */
		return;
	}
	for (u64 va = start; va < end; va += PAGE_SIZE)
		tlb_flush_page(va);
}

void tlb_flush_ipi(void)
{
	u64 bit = 1ULL << this_cpu()->index;
	if (!(__atomic_load_n(&g_request.pending, __ATOMIC_ACQUIRE) & bit))
		return; /* a stale or forged IPI: nothing asked of us */
	flush_local(g_request.start, g_request.end, g_request.kernel);
	__atomic_and_fetch(&g_request.pending, ~bit, __ATOMIC_RELEASE);
}

static void shootdown(u64 targets, u64 start, u64 end, bool kernel)
{
	if (!targets)
		return;
	g_request.start = start;
	g_request.end = end;
	g_request.kernel = kernel;
	__atomic_store_n(&g_request.pending, targets, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&g_shootdowns, 1, __ATOMIC_RELAXED);
	for (u32 i = 0; i < MAX_CPUS; i++) {
		if ((targets >> i) & 1)
			irq_send_ipi(i, VECTOR_TLB_FLUSH);
	}
	u64 begin = cpu_rdtsc();
	u64 limit = platform_tsc_hz() * SHOOTDOWN_TIMEOUT_S;
	while (__atomic_load_n(&g_request.pending, __ATOMIC_ACQUIRE) != 0) {
		cpu_pause();
		if (cpu_rdtsc() - begin > limit)
			panic("tlb: CPUs %lx never answered a shootdown", g_request.pending);
	}
}

void tlb_flush_range(struct mm *mm, u64 start, u64 end)
{
	if (start >= end)
		return;
	start = ALIGN_DOWN(start, PAGE_SIZE);
	u64 self = 1ULL << this_cpu()->index;
	/* The caller's PTE stores must be visible before we read who uses
	 * mm: x86 lets a load pass earlier stores, and a CPU joining the
	 * mask in between would walk the old PTE and never be told. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	u64 users = __atomic_load_n(&mm->cpu_mask, __ATOMIC_SEQ_CST);
	if (users & self)
		flush_local(start, end, false);
	shootdown(users & ~self & cpu_online_mask(), start, end, false);
}

void tlb_flush_kernel_range(u64 start, u64 end)
{
	if (start >= end)
		return;
	start = ALIGN_DOWN(start, PAGE_SIZE);
	u64 self = 1ULL << this_cpu()->index;
	flush_local(start, end, true);
	shootdown(cpu_online_mask() & ~self, start, end, true);
}

void tlb_batch_init(struct tlb_batch *batch, struct mm *mm)
{
	batch->mm = mm;
	batch->start = ~0ULL;
	batch->end = 0;
	batch->count = 0;
}

void tlb_batch_finish(struct tlb_batch *batch)
{
	if (batch->start < batch->end) {
		if (batch->mm)
			tlb_flush_range(batch->mm, batch->start, batch->end);
		else
			tlb_flush_kernel_range(batch->start, batch->end);
	}
	for (u32 i = 0; i < batch->count; i++)
		page_put(batch->pages[i]);
	tlb_batch_init(batch, batch->mm);
}

void tlb_batch_add(struct tlb_batch *batch, u64 va, void *page)
{
	if (batch->count == TLB_BATCH_PAGES)
		tlb_batch_finish(batch);
	batch->start = MIN(batch->start, ALIGN_DOWN(va, PAGE_SIZE));
	batch->end = MAX(batch->end, ALIGN_DOWN(va, PAGE_SIZE) + PAGE_SIZE);
	if (page)
		batch->pages[batch->count++] = page;
}
