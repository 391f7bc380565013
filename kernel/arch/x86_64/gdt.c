/*
 * gdt.c: the final GDT (kernel and user segments in the order SYSCALL /
 * SYSRET need) and the TSS, whose rsp0 is the kernel stack for traps from
 * ring 3 and whose IST stacks give #DF, NMI and #MC a known-good stack.
 * Every CPU has its own GDT and TSS (a TSS descriptor is marked busy by
 * ltr, and rsp0 differs per CPU); the boot CPU's are static, an AP's are
 * allocated by the boot CPU before the AP starts (gdt_alloc_ap).
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/gdt.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page.h"

struct tss {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
} __attribute__((packed));

#define GDT_ENTRIES 7
#define IST_STACK_SIZE 8192
#define IST_COUNT 3
#define IST_PAGES (IST_COUNT * IST_STACK_SIZE / PAGE_SIZE)

/* What one CPU needs: kmalloc'ed in one block for an AP. */
struct cpu_tables {
    u64 gdt[GDT_ENTRIES];
    struct tss tss;
};

static struct cpu_tables g_boot_tables __attribute__((aligned(16)));
static u8 g_boot_ist[IST_COUNT][IST_STACK_SIZE] __attribute__((aligned(16)));

static u64 tss_low(u64 base, u32 limit)
{
    return (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) /* present, 64-bit TSS */
           | ((u64)((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
}

static void tables_fill(struct cpu_tables *t, u8 *ist)
{
    u64 *gdt = t->gdt;
    gdt[0] = 0;
    gdt[1] = 0x00af9b000000ffffULL; /* 0x08 kernel code, 64-bit */
    gdt[2] = 0x00cf93000000ffffULL; /* 0x10 kernel data */
    gdt[3] = 0x00cff3000000ffffULL; /* 0x18 user data, DPL 3 */
    gdt[4] = 0x00affb000000ffffULL; /* 0x20 user code, 64-bit, DPL 3 */
    u64 base = (u64)(uptr)&t->tss;
    gdt[5] = tss_low(base, sizeof(t->tss) - 1);
    gdt[6] = base >> 32;

    memset(&t->tss, 0, sizeof(t->tss));
    t->tss.ist[IST_DOUBLE_FAULT - 1] = (u64)(uptr)(ist + 1 * IST_STACK_SIZE);
    t->tss.ist[IST_NMI - 1] = (u64)(uptr)(ist + 2 * IST_STACK_SIZE);
    t->tss.ist[IST_MACHINE_CHECK - 1] = (u64)(uptr)(ist + 3 * IST_STACK_SIZE);
    t->tss.iomap_base = sizeof(t->tss); /* no I/O bitmap: ring 3 gets no ports */
}

/* Load t on the calling CPU and point its per-CPU area at it. */
static void tables_load(struct cpu_tables *t, struct percpu *p)
{
    struct descriptor_pointer gdtr = { sizeof(t->gdt) - 1, (u64)(uptr)t->gdt };
    cpu_lgdt(&gdtr);
    gdt_reload_segments();
    cpu_ltr(SEL_TSS);
    p->tss = &t->tss;
    p->gdt = t->gdt;
}

void gdt_init(void)
{
    tables_fill(&g_boot_tables, &g_boot_ist[0][0]);
    percpu_init_boot();
    tables_load(&g_boot_tables, this_cpu());
    /* User GS starts at 0 (swapgs exchanges it with the per-CPU base). */
    cpu_wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void *gdt_alloc_ap(void)
{
    struct cpu_tables *t = kzalloc(sizeof(*t));
    u8 *ist = page_alloc_contig(IST_PAGES);
    if (!t || !ist) {
        if (t)
            kfree(t);
        if (ist)
            page_free_contig(ist, IST_PAGES);
        return NULL;
    }
    tables_fill(t, ist);
    return t;
}

void gdt_init_ap(void *tables)
{
    tables_load(tables, this_cpu());
    cpu_wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void arch_set_kernel_stack(u64 top)
{
    struct percpu *p = this_cpu();
    p->tss->rsp[0] = top;
    p->kernel_stack = top;
}
