/*
 * vdso.c: the kernel side of the vDSO (see vdso.h and vdso/vdso.c).
 *
 * The time fields of the vvar page are the kernel's own clock parameters
 * (platform_time_params), so the vDSO and clock_gettime(2) agree to the
 * nanosecond; they are written once at boot (nothing adjusts the clock
 * later). getcpu reads IA32_TSC_AUX with RDTSCP when the CPU has it: 0
 * from reset on the boot CPU, and the CPU's number once each CPU sets it.
 *
 * TDX: the TDX module virtualizes the TSC (RDTSC/RDTSCP run without a
 * VM exit; the frequency is fixed at TD creation and reported in CPUID
 * 0x15; the host cannot rewind or rescale it afterwards), which is what
 * makes user-mode time reads possible there at all. docs/kernel-memory.md
 * says what is and is not trusted about time.
 */
#include "mm/vdso.h"

#include "arch/x86_64/cpu.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "mm/vma.h"
#include "panic.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/mman.h"
#include "vdso/vdso_data.h"

#define VDSO_MAX_PAGES 4

extern const u8 vdso_image_start[], vdso_image_end[];

static u8 *g_code[VDSO_MAX_PAGES];
static size_t g_code_pages;
static struct vdso_data *g_vvar;

void vdso_init(void)
{
	size_t size = (size_t)(vdso_image_end - vdso_image_start);
	g_code_pages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
	if (size == 0 || g_code_pages > VDSO_MAX_PAGES)
		panic("vdso: image of %zu bytes", size);
	for (size_t i = 0; i < g_code_pages; i++) {
		g_code[i] = page_alloc();
		if (g_code[i] == NULL)
			panic("vdso: out of memory");
		size_t n = MIN(size - i * PAGE_SIZE, (size_t)PAGE_SIZE);
		memcpy(g_code[i], vdso_image_start + i * PAGE_SIZE, n);
	}
	g_vvar = page_alloc();
	if (g_vvar == NULL)
		panic("vdso: out of memory");
	g_vvar->seq = 1;
	platform_time_params(&g_vvar->tsc_base, &g_vvar->ns_mult, &g_vvar->wall_base_ns);
	g_vvar->getcpu_mode = cpu_has_rdtscp() ? VDSO_GETCPU_RDTSCP : VDSO_GETCPU_ZERO;
	g_vvar->enabled = 1;
	__asm__ volatile("" : : : "memory");
	g_vvar->seq = 2;
	kprintf("vdso: %zu page(s), getcpu via %s\n", g_code_pages,
	        g_vvar->getcpu_mode == VDSO_GETCPU_RDTSCP ? "rdtscp" : "constant 0");
}

/* Map pages at va with flags; each PTE takes a reference. */
static int map_pages(struct mm *mm, u64 va, u8 *const *pages, size_t count, u64 flags)
{
	for (size_t i = 0; i < count; i++) {
		if (pt_map(mm->root, va + i * PAGE_SIZE, virt_to_phys(pages[i]), flags) != 0)
			return -1;
		page_get(pages[i]);
		mm_count_page(mm);
	}
	return 0;
}

u64 vdso_map(struct mm *mm)
{
	if (g_vvar == NULL)
		return 0;
	u64 size = (1 + g_code_pages) * PAGE_SIZE;
	u64 base = vma_find_hole(mm, size);
	if (base == 0)
		return 0;
	u64 code = base + PAGE_SIZE;
	u8 *vvar = (u8 *)g_vvar;
	if (vma_add(mm, base, code, PROT_READ, VMA_VVAR, NULL, 0, 0) != 0 ||
	    vma_add(mm, code, base + size, PROT_READ | PROT_EXEC, VMA_VDSO, NULL, 0, 0) != 0 ||
	    map_pages(mm, base, &vvar, 1, vma_pte_flags(PROT_READ)) != 0 ||
	    map_pages(mm, code, g_code, g_code_pages, vma_pte_flags(PROT_READ | PROT_EXEC)) != 0) {
		vma_remove(mm, base, base + size);
		return 0;
	}
	mm->vdso_base = code;
	return code;
}

int vdso_fault_page(const struct vma *v, u64 va, void **page)
{
	if (g_vvar == NULL)
		return -EFAULT;
	if (v->flags & VMA_VVAR) {
		*page = page_get(g_vvar);
		return 0;
	}
	/* The [vdso] VMA may have been split or partly unmapped: index by
	 * distance from where the vDSO was mapped. */
	u64 index = (va - v->start) / PAGE_SIZE + v->offset / PAGE_SIZE;
	if (index >= g_code_pages)
		return -EFAULT;
	*page = page_get(g_code[index]);
	return 0;
}
